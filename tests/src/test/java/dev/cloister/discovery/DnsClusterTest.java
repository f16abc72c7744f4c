package dev.cloister.discovery;

import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.TestDnsServer;
import dev.cloister.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes that know only a DNS name, answered by a real DNS server over UDP on loopback; each node
 * binds its own loopback address (127.0.0.2, 127.0.0.3, ...) so that DNS is what finds them.
 */
class DnsClusterTest {

  private static final String NAME = "cloister.test";
  private TestDnsServer dns;
  private InJvmCluster cluster;
  private int port;

  @BeforeEach
  void setUp() {
    dns = new TestDnsServer();
    cluster = new InJvmCluster(1);
    port = TestPorts.block(1).get(0);
  }

  @AfterEach
  void tearDown() {
    cluster.close();
    dns.close();
  }

  private CloisterOptions options(String host, int consensus) {
    return new CloisterOptions().setSentry(List.of(NAME)).setConsensus(consensus).setClusterHost(host)
      .setClusterPort(port).setDnsServers(List.of("127.0.0.1:" + dns.port())).setDiscoveryInterval(300)
      .setNodeName("n-" + host);
  }

  private Node start(String host, int consensus) {
    return cluster.start(cluster.nodes().size(), options(host, consensus));
  }

  @Test
  void threeNodesReachConsensusKnowingOnlyTheServiceName() {
    for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
      dns.addA(NAME, ip);
    }
    List<Node> nodes = List.of(start("127.0.0.2", 3), start("127.0.0.3", 3), start("127.0.0.4", 3));
    nodes.forEach(n -> await(n.deployment));
    for (Node n : nodes) {
      assertEquals(CloisterStatus.READY, n.state().getStatus());
      assertEquals(List.of("n-127.0.0.2", "n-127.0.0.3", "n-127.0.0.4"), n.state().memberNames());
      assertEquals(List.of(), n.state().getMissing());
      assertEquals("127.0.0.2", n.state().getMembers().stream().filter(m -> m.getName().equals("n-127.0.0.2"))
        .findFirst().orElseThrow().getHost());
    }

    // A fourth address appears in DNS: the others expect it, and its node joins without restarts.
    dns.addA(NAME, "127.0.0.5");
    String fifth = "127.0.0.5:" + port;
    eventually("the new address is expected", () -> nodes.get(0).state().getMissing().equals(List.of(fifth)),
      () -> nodes.get(0).state().getMissing());
    Node d = start("127.0.0.5", 3);
    await(d.deployment);
    for (Node n : List.of(nodes.get(0), nodes.get(1), nodes.get(2), d)) {
      eventually("four members on " + n.index, () -> n.state().getMembers().size() == 4
        && n.state().getMissing().isEmpty(), () -> n.state());
    }

    // A node leaves and its address is dropped from DNS: it is no longer expected.
    cluster.stop(nodes.get(2));
    dns.removeA(NAME, "127.0.0.4");
    eventually("three members, nothing missing", () -> nodes.get(0).state().getMembers().size() == 3
      && nodes.get(0).state().getMissing().isEmpty(), () -> nodes.get(0).state());
    assertEquals(CloisterStatus.READY, nodes.get(0).state().getStatus());
  }

  @Test
  void nxdomainKeepsAConsensusThreeNodeAssemblingUntilTheNameAppears() {
    dns.nxdomain(NAME);
    Node a = start("127.0.0.2", 3);
    eventually("the name was asked several times", () -> dns.queryCount(NAME) >= 4, () -> dns.queryCount(NAME));
    assertEquals(CloisterStatus.ASSEMBLING, a.lastStatus(), "" + a.transitions());
    assertFalse(a.deployment.isComplete());

    dns.answer(NAME);
    for (String ip : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
      dns.addA(NAME, ip);
    }
    eventually("assembled once DNS lists nodes", () -> a.lastStatus() == CloisterStatus.REHASHING, a::transitions);
    Node b = start("127.0.0.3", 3);
    Node c = start("127.0.0.4", 3);
    List.of(a, b, c).forEach(n -> await(n.deployment));
    assertEquals(3, a.state().getMembers().size());
  }

  @Test
  void nxdomainLetsAConsensusOneNodeStartAlone() {
    dns.nxdomain(NAME);
    Node a = start("127.0.0.2", 1);
    await(a.deployment);
    assertEquals(CloisterStatus.READY, a.state().getStatus());
    assertEquals(List.of("n-127.0.0.2"), a.state().memberNames());
  }

  @Test
  void timeoutsAndServerFailuresAreRetriedNeverFatal() {
    dns.servfail(NAME);
    Node a = start("127.0.0.2", 2);
    eventually("asked again after SERVFAIL", () -> dns.queryCount(NAME) >= 3, () -> dns.queryCount(NAME));
    dns.drop(NAME);
    int before = dns.queryCount(NAME);
    eventually("asked again after a timeout", () -> dns.queryCount(NAME) >= before + 2, () -> dns.queryCount(NAME));
    assertEquals(CloisterStatus.ASSEMBLING, a.lastStatus());
    dns.answer(NAME);
    dns.addA(NAME, "127.0.0.2").addA(NAME, "127.0.0.3");
    Node b = start("127.0.0.3", 2);
    await(a.deployment);
    await(b.deployment);
    assertEquals(2, b.state().getMembers().size());
  }

  @Test
  void srvRecordsGiveTheirOwnPorts() {
    List<Integer> ports = TestPorts.block(2);
    String srv = "_cluster._tcp.svc.test";
    dns.addA("a.svc.test", "127.0.0.1").addA("b.svc.test", "127.0.0.1");
    dns.addSrv(srv, 0, 0, ports.get(0), "a.svc.test").addSrv(srv, 0, 0, ports.get(1), "b.svc.test");
    for (int i = 0; i < 2; i++) {
      CloisterOptions o = new CloisterOptions().setSentry(List.of(srv)).setConsensus(2).setLoopback(true)
        .setClusterPort(ports.get(i)).setDnsServers(List.of("127.0.0.1:" + dns.port())).setDiscoveryInterval(300)
        .setNodeName("srv" + i);
      cluster.start(i, o);
    }
    cluster.nodes().forEach(n -> await(n.deployment));
    for (Node n : cluster.nodes()) {
      assertEquals(List.of("srv0", "srv1"), n.state().memberNames());
      assertTrue(n.state().getMissing().isEmpty(), n.state().getMissing().toString());
    }
  }

  @Test
  void junkOnTheDiscoveryAddressIsIgnored() {
    dns.addA(NAME, "127.0.0.2");
    Node a = start("127.0.0.2", 1);
    await(a.deployment);
    for (Object junk : List.of("text", 42, new io.vertx.core.json.JsonObject().put("name", NAME).put("seeds", "x"),
      new io.vertx.core.json.JsonObject().put("name", NAME).put("seeds", new io.vertx.core.json.JsonArray().add(7)),
      new io.vertx.core.json.JsonObject().put("name", NAME).put("seeds", new io.vertx.core.json.JsonArray().add("::bad")),
      new io.vertx.core.json.JsonObject())) {
      a.vertx.eventBus().publish("cloister.discovery", junk);
    }
    dns.addA(NAME, "127.0.0.3");
    String second = "127.0.0.3:" + port;
    eventually("real discovery goes on", () -> a.state().getMissing().equals(List.of(second)),
      () -> a.state().getMissing());
    assertEquals(CloisterStatus.READY, a.state().getStatus());
    assertEquals("n-127.0.0.2", a.cloister().whois("k"));
  }
}
