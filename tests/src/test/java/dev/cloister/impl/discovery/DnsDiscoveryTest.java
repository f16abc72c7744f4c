package dev.cloister.impl.discovery;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.Sentry;
import dev.cloister.testing.TestDnsServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Discovery owns the list it keeps in its local map: closing it removes the list, and only its own. */
class DnsDiscoveryTest {

  private final Vertx vertx = Vertx.vertx();
  private final TestDnsServer dns = new TestDnsServer();

  @AfterEach
  void tearDown() {
    dns.close();
    await(vertx.close());
  }

  private DnsDiscovery discovery() {
    return new DnsDiscovery(vertx, Sentry.parse("nodes.cloister.test", 7800),
      List.of(new HostAndPort("127.0.0.1", dns.port())), 300, "test", seeds -> { });
  }

  private JsonObject kept() {
    return (JsonObject) vertx.sharedData().getLocalMap(DnsDiscovery.MAP).get(DnsDiscovery.KEY);
  }

  @Test
  void closingDiscoveryRemovesTheListItPublished() {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    DnsDiscovery d = discovery();
    assertEquals(List.of(new HostAndPort("127.0.0.2", 7800)), await(d.resolveOnce()));
    assertNotNull(kept(), "a Cloister starting now reads the list");
    d.close();
    assertNull(kept(), "a Cloister starting after the close must not read a stale list");
    d.close();
    assertNull(kept());
  }

  @Test
  void closingAnOlderDiscoveryLeavesANewerOnesList() {
    dns.addA("nodes.cloister.test", "127.0.0.2");
    DnsDiscovery older = discovery();
    await(older.resolveOnce());
    dns.addA("nodes.cloister.test", "127.0.0.3");
    DnsDiscovery newer = discovery();
    await(newer.resolveOnce());
    JsonObject newest = kept();
    older.close();
    assertEquals(newest, kept());
    newer.close();
    assertNull(kept());
  }
}
