package dev.cloister.impl.ring;

import dev.cloister.Cloister;
import dev.cloister.CloisterOptions;
import dev.cloister.impl.transport.BlockingPools;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rings are built by the ring maintenance worker verticle, never on the node's event loop. */
class RingMaintainerTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private static List<String> names(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.format("node%04d", i));
    }
    return out;
  }

  @Test
  void buildsRunOnAWorkerThreadAndCountRebuildsPerGroup() {
    RingMaintainer.Client client = await(RingMaintainer.deploy(vertx, "test"));
    RingMaintainer.Built first = await(client.build(new RingMaintainer.Build(1, Map.of("g", names(3), "h", names(2)), 64)));
    RingMaintainer.Built second = await(client.build(new RingMaintainer.Build(2, Map.of("g", names(4), "h", names(2)), 64)));
    assertTrue(first.thread().startsWith(BlockingPools.NODE), first.thread());
    assertEquals(1, first.build());
    assertEquals(2, second.build());
    assertEquals(2, second.rings().group("g").version(), "g changed: rebuilt");
    assertEquals(1, second.rings().group("h").version(), "h unchanged: kept");
    assertEquals(Rings.EMPTY.next(Map.of("g", names(4), "h", names(2)), 64).checksum(), second.rings().checksum(),
      "the same rings as a build in place");
    await(client.close());
  }

  @Test
  void onlyTheNewestBuildIsHandedBack() {
    RingMaintainer.Client client = await(RingMaintainer.deploy(vertx, "test"));
    Context context = vertx.getOrCreateContext();
    List<Rings> handed = new CopyOnWriteArrayList<>();
    Promise<Rings> last = Promise.promise();
    context.runOnContext(v -> {
      NodeRings rings = new NodeRings(client, 4096, r -> {
        handed.add(r);
        last.tryComplete(r);
      });
      rings.order(Map.of("g", names(200)));
      rings.order(Map.of("g", names(100)));
      rings.order(Map.of("g", names(3)));
      assertFalse(rings.pending() == null);
    });
    Rings r = await(last.future());
    // The ring maintainer is ordered: once the newest reply is in, the older ones were dropped before it.
    assertEquals(1, handed.size());
    assertEquals(names(3), r.group("g").ring().members());
    assertEquals(3, r.group("g").version(), "versions count every build, installed or not");
  }

  @Test
  void aRunningNodeBuildsItsRingsOnAWorker() {
    List<String> threads = new CopyOnWriteArrayList<>();
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().body() instanceof RingMaintainer.Built b) {
        threads.add(b.thread());
      }
      ctx.next();
    });
    Cloister c = Cloister.create(vertx, new CloisterOptions().setNodeName("alone"));
    await(c.start());
    assertEquals(1, threads.size(), "one build for a ring of one: " + threads);
    assertTrue(threads.get(0).startsWith(BlockingPools.NODE), threads.toString());
    assertNotEquals(null, c.whois("k"));
    await(c.close());
    Future<Void> again = RingMaintainer.deploy(vertx, "cloister").compose(RingMaintainer.Client::close);
    await(again);
  }
}
