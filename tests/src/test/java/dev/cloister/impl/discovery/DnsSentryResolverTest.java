package dev.cloister.impl.discovery;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.Sentry;

import dev.cloister.testing.TestDnsServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DNS sentry against a real UDP server on 127.0.0.1: every query stays on loopback.
 */
class DnsSentryResolverTest {

  private static final int PORT = 7800;
  /** Short, so that dropped queries fail soon; never asserted as a duration. */
  private static final long QUERY_TIMEOUT_MS = 300;
  /** Generous bound for a whole resolution on a busy 2-core machine, only to avoid hanging. */
  private static final long WAIT_SECONDS = 30;

  private Vertx vertx;
  private TestDnsServer dns;
  private DnsSentryResolver resolver;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    dns = new TestDnsServer();
    resolver = new DnsSentryResolver(vertx,
        List.of(new HostAndPort("127.0.0.1", dns.port())), QUERY_TIMEOUT_MS);
  }

  @AfterEach
  void stop() throws Exception {
    resolver.close();
    dns.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private List<HostAndPort> resolve(String sentry) throws Exception {
    return await(resolver.resolve(Sentry.parse(sentry, PORT)));
  }

  private Throwable failure(String sentry) throws Exception {
    Future<List<HostAndPort>> future = resolver.resolve(Sentry.parse(sentry, PORT));
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(future));
    return e.getCause();
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("resolution never completed", e);
    }
  }

  private static List<HostAndPort> seeds(String... values) {
    return java.util.Arrays.stream(values).map(v -> HostAndPort.parse(v, PORT)).toList();
  }

  @Test
  void a_records_give_each_address_with_the_cluster_port() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    assertEquals(seeds("127.0.0.2:7800"), resolve("nodes.cloister.test"));
  }

  @Test
  void several_addresses_come_sorted_and_without_duplicates() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.10")
        .addA("nodes.cloister.test", "127.0.0.3")
        .addA("nodes.cloister.test", "127.0.0.2");
    assertEquals(seeds("127.0.0.2", "127.0.0.3", "127.0.0.10"), resolve("nodes.cloister.test"));
  }

  @Test
  void aaaa_records_give_ipv6_addresses_after_ipv4_ones() throws Exception {
    dns.addAAAA("nodes.cloister.test", "::1")
        .addAAAA("nodes.cloister.test", "fd00::2")
        .addA("nodes.cloister.test", "127.0.0.2");
    assertEquals(seeds("127.0.0.2", "[::1]", "[fd00::2]"), resolve("nodes.cloister.test"));
  }

  @Test
  void srv_records_give_their_targets_addresses_with_their_ports() throws Exception {
    dns.addSrv("_cloister._tcp.app.test", 10, 50, 7801, "node1.app.test")
        .addSrv("_cloister._tcp.app.test", 10, 50, 7802, "node2.app.test")
        .addSrv("_cloister._tcp.app.test", 20, 0, 7803, "node2.app.test")
        .addA("node1.app.test", "127.0.0.2")
        .addA("node2.app.test", "127.0.0.3");
    assertEquals(seeds("127.0.0.2:7801", "127.0.0.3:7802", "127.0.0.3:7803"),
        resolve("_cloister._tcp.app.test"));
  }

  @Test
  void srv_targets_outside_the_service_domain_are_resolved_too() throws Exception {
    dns.addSrv("_cloister._tcp.app.test", 0, 0, 7801, "node1.elsewhere.example")
        .addA("node1.elsewhere.example", "127.0.0.4");
    assertEquals(seeds("127.0.0.4:7801"), resolve("_cloister._tcp.app.test"));
  }

  @Test
  void an_alias_is_followed_to_its_canonical_name() throws Exception {
    dns.cname("cloister.app.test", "nodes.app.test")
        .addA("nodes.app.test", "127.0.0.2")
        .addA("nodes.app.test", "127.0.0.3");
    assertEquals(seeds("127.0.0.2", "127.0.0.3"), resolve("cloister.app.test"));
  }

  @Test
  void a_cname_loop_fails_instead_of_spinning() throws Exception {
    dns.cname("a.app.test", "b.app.test").cname("b.app.test", "a.app.test");
    Throwable cause = failure("a.app.test");
    assertInstanceOf(DnsSentryException.class, cause);
    assertTrue(cause.getMessage().contains("CNAME"), cause.getMessage());
  }

  @Test
  void srv_without_records_is_an_empty_answer() throws Exception {
    dns.clear("_cloister._tcp.app.test");
    assertEquals(List.of(), resolve("_cloister._tcp.app.test"));
  }

  @Test
  void srv_with_an_unresolvable_target_fails_rather_than_answer_half() throws Exception {
    dns.addSrv("_cloister._tcp.app.test", 10, 50, 7801, "node1.app.test")
        .addSrv("_cloister._tcp.app.test", 10, 50, 7802, "node2.app.test")
        .addA("node1.app.test", "127.0.0.2")
        .addA("node2.app.test", "127.0.0.3")
        .servfail("node2.app.test");
    Throwable cause = failure("_cloister._tcp.app.test");
    assertTrue(cause.getMessage().contains("node2.app.test"), cause.getMessage());
  }

  @Test
  void a_record_added_later_is_seen_by_the_next_resolution() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    assertEquals(seeds("127.0.0.2"), resolve("nodes.cloister.test"));
    dns.addA("nodes.cloister.test", "127.0.0.3");
    assertEquals(seeds("127.0.0.2", "127.0.0.3"), resolve("nodes.cloister.test"));
  }

  @Test
  void a_removed_record_is_gone_from_the_next_resolution() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").addA("nodes.cloister.test", "127.0.0.3");
    assertEquals(seeds("127.0.0.2", "127.0.0.3"), resolve("nodes.cloister.test"));
    dns.removeA("nodes.cloister.test", "127.0.0.2");
    assertEquals(seeds("127.0.0.3"), resolve("nodes.cloister.test"));
  }

  @Test
  void every_resolution_asks_the_server() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    resolve("nodes.cloister.test");
    int before = dns.queryCount("nodes.cloister.test");
    resolve("nodes.cloister.test");
    assertTrue(dns.queryCount("nodes.cloister.test") > before);
  }

  @Test
  void nxdomain_is_an_answer_with_nobody() throws Exception {
    assertEquals(List.of(), resolve("unknown.cloister.test"));
    dns.addA("gone.cloister.test", "127.0.0.2").nxdomain("gone.cloister.test");
    assertEquals(List.of(), resolve("gone.cloister.test"));
  }

  @Test
  void an_empty_answer_is_an_answer_with_nobody() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").removeA("nodes.cloister.test", "127.0.0.2");
    assertEquals(List.of(), resolve("nodes.cloister.test"));
  }

  @Test
  void servfail_fails_naming_the_name_and_the_server() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").servfail("nodes.cloister.test");
    Throwable cause = failure("nodes.cloister.test");
    assertInstanceOf(DnsSentryException.class, cause);
    assertTrue(cause.getMessage().contains("nodes.cloister.test"), cause.getMessage());
    assertTrue(cause.getMessage().contains("SERVFAIL"), cause.getMessage());
    assertTrue(cause.getMessage().contains("127.0.0.1:" + dns.port()), cause.getMessage());
  }

  @Test
  void a_dropped_query_times_out_and_the_resolver_keeps_working() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").drop("nodes.cloister.test");
    Throwable cause = failure("nodes.cloister.test");
    assertInstanceOf(DnsSentryException.class, cause);
    assertTrue(cause.getMessage().contains("nodes.cloister.test"), cause.getMessage());
    assertTrue(cause.getMessage().contains("no answer from 127.0.0.1:" + dns.port()),
        cause.getMessage());

    dns.answer("nodes.cloister.test");
    assertEquals(seeds("127.0.0.2"), resolve("nodes.cloister.test"));
  }

  @Test
  void a_malformed_answer_fails_cleanly_and_the_resolver_keeps_working() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").malformed("nodes.cloister.test");
    Throwable cause = failure("nodes.cloister.test");
    assertInstanceOf(DnsSentryException.class, cause);
    assertTrue(cause.getMessage().contains("nodes.cloister.test"), cause.getMessage());

    dns.answer("nodes.cloister.test");
    assertEquals(seeds("127.0.0.2"), resolve("nodes.cloister.test"));
  }

  @Test
  void a_record_of_the_wrong_size_fails_cleanly_naming_the_server() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2").malformedRecord("nodes.cloister.test");
    Throwable cause = failure("nodes.cloister.test");
    assertInstanceOf(DnsSentryException.class, cause);
    assertTrue(cause.getMessage().contains("nodes.cloister.test"), cause.getMessage());
    assertTrue(cause.getMessage().contains("malformed"), cause.getMessage());
    assertTrue(cause.getMessage().contains("127.0.0.1:" + dns.port()), cause.getMessage());
  }

  @Test
  void the_next_server_is_asked_when_one_fails() throws Exception {
    try (TestDnsServer broken = new TestDnsServer()) {
      broken.addA("nodes.cloister.test", "127.0.0.9").servfail("nodes.cloister.test");
      dns.addA("nodes.cloister.test", "127.0.0.2");
      DnsSentryResolver two = new DnsSentryResolver(vertx, List.of(
          new HostAndPort("127.0.0.1", broken.port()), new HostAndPort("127.0.0.1", dns.port())),
          QUERY_TIMEOUT_MS);
      try {
        assertEquals(seeds("127.0.0.2"), await(two.resolve(Sentry.parse("nodes.cloister.test", PORT))));
      } finally {
        two.close();
      }
    }
  }

  @Test
  void a_static_sentry_resolves_to_its_seeds_without_dns() throws Exception {
    assertEquals(seeds("a:1", "b:2"), resolve("a:1,b:2"));
  }

  @Test
  void the_future_completes_on_a_vertx_context() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    Future<Boolean> onContext = resolver.resolve(Sentry.parse("nodes.cloister.test", PORT))
        .map(list -> Vertx.currentContext() != null);
    assertTrue(await(onContext));
  }

  @Test
  void a_closed_resolver_fails_instead_of_hanging() throws Exception {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    resolver.close();
    Throwable cause = failure("nodes.cloister.test");
    assertInstanceOf(DnsSentryException.class, cause);
  }

  @Test
  void dns_servers_must_be_ip_addresses() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DnsSentryResolver(vertx, List.of(new HostAndPort("dns.example", 53)), 300));
    assertTrue(e.getMessage().contains("dnsServers"), e.getMessage());
  }
}
