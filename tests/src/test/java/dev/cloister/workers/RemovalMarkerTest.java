package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterTest;
import dev.cloister.testing.NodeCaches;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.infinispan.Cache;
import org.infinispan.context.Flag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A removal writes a marker and then removes it; when the second write fails (a topology change
 * under it), the marker stays in every replica. It is no key: {@code size()} leaves it out, and the
 * sweep removes it once two sweeps in a row found it. A CI run of the zero-cost-distribution example
 * counted such a marker as one message still waiting.
 */
class RemovalMarkerTest {

  private static final String NAME = "markers";
  /** The marker as the key store writes it. */
  private static final String MARKER = "\u0000removed";

  private static final Worker IDLE = new Worker() {
    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      return Future.succeededFuture(WorkOutcome.ok());
    }
  };

  private static <T> T await(Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Cache<String, String> keys(Vertx vertx) {
    return NodeCaches.manager(vertx).getCache("__cloister.workers." + NAME);
  }

  @Test
  @CloisterTest(nodes = 2, consensus = 1)
  void aMarkerLeftBehindIsNoKeyAndTheSweepRemovesIt(CloisterCluster cluster) {
    List<ShardedWorkers> sets = List.of(0, 1).stream().map(i -> await(ShardedWorkers.start(cluster.node(i).vertx(), NAME,
      new WorkersOptions(), IDLE))).toList();
    await(sets.get(0).put("kept", new JsonObject().put("v", 1)));
    cluster.eventually(() -> assertEquals(1L, await(sets.get(1).size()), "node1's replica holds the key"));

    keys(cluster.node(0).vertx()).getAdvancedCache().withFlags(Flag.SKIP_LISTENER_NOTIFICATION).put("left-behind", MARKER);
    assertEquals(MARKER, keys(cluster.node(1).vertx()).get("left-behind"), "every replica holds the marker");

    assertEquals(1L, await(sets.get(0).size()), "the marker is no key");
    assertEquals(1L, await(sets.get(1).size()), "the marker is no key");
    cluster.eventually(() -> {
      assertFalse(keys(cluster.node(0).vertx()).containsKey("left-behind"), "node0's replica dropped the marker");
      assertFalse(keys(cluster.node(1).vertx()).containsKey("left-behind"), "node1's replica dropped the marker");
    });
    assertEquals(new JsonObject().put("v", 1), await(sets.get(1).get("kept")), "the key stays");
  }
}
