package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterTest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A key's perform is still running when its node leaves gracefully: the hand-off waits for it and
 * its outcome counts. A replaced payload is what the next owner starts with; a halt ends the key.
 */
class LeaveDuringPerformTest {

  /** One node's worker: its starts, and performs that finish when the test says. */
  private static final class HeldWorker implements Worker {
    final String node;
    final List<String> starts = new CopyOnWriteArrayList<>();
    final Map<String, Promise<WorkOutcome>> performing;

    HeldWorker(String node, Map<String, Promise<WorkOutcome>> performing) {
      this.node = node;
      this.performing = performing;
    }

    @Override
    public Future<Void> start(String key, JsonObject payload) {
      starts.add(key + " " + payload.encode());
      return Future.succeededFuture();
    }

    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      Promise<WorkOutcome> p = Promise.promise();
      performing.put(node, p);
      return p.future();
    }
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Puts one key and waits for its owner's perform; returns the owner's index. */
  private static int performing(CloisterCluster cluster, List<ShardedWorkers> sets,
                                Map<String, Promise<WorkOutcome>> performing) {
    // Tick 0: the put that creates the key brings one perform once it started.
    await(sets.get(0).put("k", new JsonObject().put("v", "before")));
    cluster.eventually(() -> assertEquals(1, performing.size(), "the owner performs 'k'"));
    return performing.containsKey("node0") ? 0 : 1;
  }

  /**
   * Waits until the next owner's ring gives it the key: the leaving node's withdrawal has reached
   * every replica, and its hand-off of the key, which follows the withdrawal, waits behind the perform.
   */
  private static void awaitHandingOff(CloisterCluster cluster, ShardedWorkers next, int nextIndex) {
    cluster.eventually(() -> assertEquals("node" + nextIndex, next.ownerOf("k"), "the next owner's ring"));
  }

  private static List<ShardedWorkers> start(CloisterCluster cluster, List<HeldWorker> workers, String name) {
    return List.of(0, 1).stream().map(i -> await(ShardedWorkers.start(cluster.node(i).vertx(), name,
      new WorkersOptions().setTick(0), workers.get(i)))).toList();
  }

  @Test
  @CloisterTest(nodes = 2, consensus = 1)
  void aPayloadReplacedWhileTheKeyLeavesIsWhatTheNextOwnerStartsWith(CloisterCluster cluster) {
    Map<String, Promise<WorkOutcome>> performing = new ConcurrentHashMap<>();
    List<HeldWorker> workers = List.of(new HeldWorker("node0", performing), new HeldWorker("node1", performing));
    List<ShardedWorkers> sets = start(cluster, workers, "leave-replace");
    int owner = performing(cluster, sets, performing);
    int next = 1 - owner;

    Future<Void> leaving = sets.get(owner).close();
    awaitHandingOff(cluster, sets.get(next), next);
    performing.get("node" + owner).complete(WorkOutcome.replace(new JsonObject().put("v", "after")));
    await(leaving);

    cluster.eventually(() -> assertEquals(List.of("k {\"v\":\"after\"}"), workers.get(next).starts,
      "node" + next + " starts 'k' with the payload the last perform stored"));
    assertEquals(new JsonObject().put("v", "after"), await(sets.get(next).get("k")));
  }

  @Test
  @CloisterTest(nodes = 2, consensus = 1)
  void aKeyHaltedWhileItLeavesEndsAndRunsNowhereElse(CloisterCluster cluster) {
    Map<String, Promise<WorkOutcome>> performing = new ConcurrentHashMap<>();
    List<HeldWorker> workers = List.of(new HeldWorker("node0", performing), new HeldWorker("node1", performing));
    List<ShardedWorkers> sets = start(cluster, workers, "leave-halt");
    int owner = performing(cluster, sets, performing);
    int next = 1 - owner;

    Future<Void> leaving = sets.get(owner).close();
    awaitHandingOff(cluster, sets.get(next), next);
    performing.get("node" + owner).complete(WorkOutcome.halt());
    await(leaving);

    // The payload goes before the lease is released, and the next owner looks only after the release.
    assertNull(await(sets.get(next).get("k")), "the halted key is gone");
    assertTrue(workers.get(next).starts.isEmpty(), "node" + next + " started " + workers.get(next).starts);
  }
}
