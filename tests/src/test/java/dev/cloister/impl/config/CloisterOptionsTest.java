package dev.cloister.impl.config;

import dev.cloister.CloisterOptions;
import dev.cloister.QuorumLossPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CloisterOptionsTest {

  @Test
  void defaultsAreCloistersOwn() {
    CloisterOptions o = new CloisterOptions().validate();
    assertEquals("cloister", o.getApp());
    assertEquals(1, o.getConsensus());
    assertEquals(List.of(), o.getSentry());
    assertEquals("cloister", o.effectiveGroup());
    assertEquals(0, o.getStartTimeout());
    assertEquals(5000, o.getDiscoveryInterval());
    assertEquals(QuorumLossPolicy.KEEP, o.getQuorumLossPolicy());
    assertEquals("cloister", o.getAddressPrefix());
    assertFalse(o.isLoopback());
  }

  @Test
  void jsonConfigSetsEveryOptionAndRoundTrips() {
    JsonObject json = new JsonObject()
      .put("app", "shop").put("sentry", new JsonArray().add("10.0.0.1:7800").add("10.0.0.2:7800"))
      .put("consensus", 2).put("group", "carts").put("nodeName", "n1").put("startTimeout", 9000)
      .put("discoveryInterval", 1000).put("dnsServers", new JsonArray().add("10.0.0.53:53"))
      .put("clusterHost", "127.0.0.1").put("clusterPort", 7900).put("vnodes", 64)
      .put("quorumLossPolicy", "protect").put("addressPrefix", "shop").put("loopback", true);
    CloisterOptions o = new CloisterOptions(json).validate();
    assertEquals("shop", o.getApp());
    assertEquals(List.of("10.0.0.1:7800", "10.0.0.2:7800"), o.getSentry());
    assertEquals(2, o.getConsensus());
    assertEquals("carts", o.effectiveGroup());
    assertEquals(QuorumLossPolicy.PROTECT, o.getQuorumLossPolicy());
    assertEquals(7900, o.getClusterPort());
    assertTrue(o.isLoopback());
    assertEquals(o.toJson(), new CloisterOptions(o.toJson()).toJson());
  }

  @Test
  void environmentOverridesInUpperSnakeCase() {
    Map<String, String> env = Map.of(
      "CLOISTER_SENTRY", "a.example:7800,b.example:7800",
      "CLOISTER_CONSENSUS", "3",
      "CLOISTER_CLUSTER_HOST", "127.0.0.1",
      "CLOISTER_QUORUM_LOSS_POLICY", "PROTECT",
      "CLOISTER_START_TIMEOUT", "2500",
      "CLOISTER_LOOPBACK", "true",
      "UNRELATED", "x");
    CloisterOptions o = new CloisterOptions().setConsensus(1).applyEnvironment(env).validate();
    assertEquals(List.of("a.example:7800", "b.example:7800"), o.getSentry());
    assertEquals(3, o.getConsensus());
    assertEquals("127.0.0.1", o.getClusterHost());
    assertEquals(QuorumLossPolicy.PROTECT, o.getQuorumLossPolicy());
    assertEquals(2500, o.getStartTimeout());
    assertTrue(o.isLoopback());
    assertEquals("CLOISTER_NODE_NAME", OptionTable.environmentVariable("nodeName"));
    assertEquals("CLOISTER_DISCOVERY_INTERVAL", OptionTable.environmentVariable("discoveryInterval"));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', value = {
    "consensus         | 0",
    "consensus         | -2",
    "app               | ''",
    "app               | 'bad name'",
    "group             | 'a/b'",
    "startTimeout      | -1",
    "discoveryInterval | 0",
    "clusterPort       | 70000",
    "vnodes            | -5",
    "addressPrefix     | ''",
    "suspectTimeout    | 0",
    "heartbeatInterval | -1",
    "heartbeatInterval | 2000",
    "verifySuspectTimeout | 0",
    "joinTimeout       | -500",
  })
  void anInvalidValueFailsNamingTheOptionAndTheValue(String option, String value) {
    JsonObject json = new JsonObject();
    if (value.matches("-?\\d+")) {
      json.put(option, Long.parseLong(value));
    } else {
      json.put(option, value);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions(json).validate());
    assertTrue(e.getMessage().contains(option), e.getMessage());
    assertTrue(e.getMessage().contains(value), e.getMessage());
  }

  @Test
  void failureDetectionTimingsAreOptionsResolvedOnceWithTheirBound() {
    NodeConfig defaults = NodeConfig.of(new CloisterOptions());
    assertEquals(new FailureDetection(500, 2000, 250, 500), defaults.failureDetection(), "the defaults");
    assertEquals(1000, defaults.failureDetection().silenceCheck(), "a silence is checked for half its length");
    assertEquals(3500, defaults.failureDetectionBound());

    CloisterOptions raised = new CloisterOptions().applyEnvironment(Map.of(
      "CLOISTER_SUSPECT_TIMEOUT", "10000", "CLOISTER_HEARTBEAT_INTERVAL", "1000",
      "CLOISTER_VERIFY_SUSPECT_TIMEOUT", "1500", "CLOISTER_JOIN_TIMEOUT", "3000"));
    NodeConfig config = NodeConfig.of(raised);
    assertEquals(new FailureDetection(1000, 10000, 1500, 3000), config.failureDetection());
    assertEquals(16000, config.failureDetectionBound(), "10 s of silence + a 1 s heartbeat + a 5 s silence check");
    assertEquals(config.failureDetection(), NodeConfig.of(new CloisterOptions(raised.toJson())).failureDetection(),
      "the timings round-trip through JSON");
  }

  @Test
  void aHeartbeatIntervalNotBelowTheSuspectTimeoutIsNamedWithBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> NodeConfig.of(new CloisterOptions().setSuspectTimeout(1000).setHeartbeatInterval(1000)));
    assertTrue(e.getMessage().contains("heartbeatInterval = 1000") && e.getMessage().contains("suspectTimeout (1000 ms)"),
      e.getMessage());
    IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().applyEnvironment(Map.of("CLOISTER_SUSPECT_TIMEOUT", "soon")));
    assertTrue(env.getMessage().contains("CLOISTER_SUSPECT_TIMEOUT"), env.getMessage());
  }

  @Test
  void aJGroupsStackOfTheUsersIsAFileOrClassPathResourceAndReplacesTheStackOptions() {
    assertEquals("tcp.xml", NodeConfig.of(new CloisterOptions().setJgroupsConfig("tcp.xml")).jgroupsConfig(),
      "JGroups' own tcp.xml, found on the class path");
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().setJgroupsConfig("/nowhere/jgroups.xml").validate());
    assertTrue(missing.getMessage().contains("jgroupsConfig = '/nowhere/jgroups.xml'")
      && missing.getMessage().contains("neither a file nor a class-path resource"), missing.getMessage());
    IllegalArgumentException combined = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().setJgroupsConfig("tcp.xml").setClusterSecret("0123456789abcdef")
        .setSuspectTimeout(9000).validate());
    assertTrue(combined.getMessage().contains("jgroupsConfig")
      && combined.getMessage().contains("cannot be combined with clusterSecret, suspectTimeout"), combined.getMessage());
    assertEquals("CLOISTER_JGROUPS_CONFIG", OptionTable.environmentVariable("jgroupsConfig"));
  }

  @Test
  void wrongTypesAndUnknownKeysFailAtOnce() {
    IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions(new JsonObject().put("consensus", "three")));
    assertTrue(wrongType.getMessage().contains("consensus") && wrongType.getMessage().contains("three"));
    IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions(new JsonObject().put("consensus", 2.5)));
    assertTrue(fraction.getMessage().contains("consensus"));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions(new JsonObject().put("concensus", 3)));
    assertTrue(unknown.getMessage().contains("concensus"), unknown.getMessage());
    IllegalArgumentException policy = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions(new JsonObject().put("quorumLossPolicy", "maybe")));
    assertTrue(policy.getMessage().contains("quorumLossPolicy") && policy.getMessage().contains("maybe"));
  }

  @Test
  void badEnvironmentValuesNameTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().applyEnvironment(Map.of("CLOISTER_CONSENSUS", "many")));
    assertTrue(e.getMessage().contains("CLOISTER_CONSENSUS") && e.getMessage().contains("many"), e.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().applyEnvironment(Map.of("CLOISTER_CONSENSUS", "0")).validate());
    assertTrue(zero.getMessage().contains("consensus"), zero.getMessage());
  }

  @Test
  void aListInTheEnvironmentMayBeAJsonArrayOrCommaSeparated() {
    List<String> seeds = List.of("n1:7800", "n2:7800");
    CloisterOptions json = new CloisterOptions()
      .applyEnvironment(Map.of("CLOISTER_SENTRY", " [\"n1:7800\", \"n2:7800\"] ")).validate();
    assertEquals(seeds, json.getSentry());
    assertEquals(2, Sentry.parse(json.getSentry(), 7800).staticSeeds().size());
    assertEquals(seeds, new CloisterOptions().applyEnvironment(Map.of("CLOISTER_SENTRY", "n1:7800,n2:7800"))
      .validate().getSentry());
    assertEquals(List.of("[::1]:7800", "[::2]:7800"), new CloisterOptions()
      .applyEnvironment(Map.of("CLOISTER_SENTRY", "[::1]:7800,[::2]:7800")).validate().getSentry());
    assertEquals(List.of(), new CloisterOptions().applyEnvironment(Map.of("CLOISTER_SENTRY", "[]")).getSentry());
    assertEquals(List.of("10.0.0.1:53"), new CloisterOptions()
      .applyEnvironment(Map.of("CLOISTER_DNS_SERVERS", "[\"10.0.0.1:53\"]")).getDnsServers());
  }

  @Test
  void aMalformedJsonListInTheEnvironmentIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().applyEnvironment(Map.of("CLOISTER_SENTRY", "[\"n1:7800\", \"n2:7800\"")));
    assertTrue(e.getMessage().contains("CLOISTER_SENTRY") && e.getMessage().contains("not a valid JSON array"),
      e.getMessage());
    IllegalArgumentException numbers = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().applyEnvironment(Map.of("CLOISTER_SENTRY", "[\"n1:7800\", 7800]")));
    assertTrue(numbers.getMessage().contains("CLOISTER_SENTRY") && numbers.getMessage().contains("must be strings"),
      numbers.getMessage());
  }

  @Test
  void aBadSentryOrDnsServerIsNamed() {
    IllegalArgumentException sentry = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().setSentry(List.of("host:99999")).validate());
    assertTrue(sentry.getMessage().contains("sentry") && sentry.getMessage().contains("99999"), sentry.getMessage());
    IllegalArgumentException dns = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().setDnsServers(List.of("10.0.0.1:0")).validate());
    assertTrue(dns.getMessage().contains("dnsServers"), dns.getMessage());
  }

  @Test
  void everyOptionHasOneEnvironmentVariable() {
    for (String name : OptionTable.names()) {
      assertTrue(OptionTable.environmentVariable(name).matches("CLOISTER_[A-Z_]+"), name);
    }
    assertEquals(OptionTable.names().size(), new CloisterOptions().toJson().size());
  }
}
