package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.AdvancedCache;
import org.infinispan.context.Flag;
import org.infinispan.manager.EmbeddedCacheManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A key whose events never came (written here without notifying any listener, as an event lost in
 * a topology change or a write that failed would leave it) is not lost: the periodic sweep of each
 * node's replica finds the keys it owns that run nowhere and starts them, each once, on its owner.
 */
class WorkersSweepTest {

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void keysStoredWithoutAnyEventAreStartedOnTheirOwnersBySweeps() {
    cluster = new InJvmCluster(2);
    List<Node> nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    nodes.forEach(n -> await(n.deployment));
    WorkHistory history = new WorkHistory();
    List<ShardedWorkers> sets = new ArrayList<>();
    for (Node n : nodes) {
      sets.add(await(ShardedWorkers.start(n.vertx, "swept", new WorkersOptions(),
        new RecordingWorker("node" + n.index, history))));
    }
    eventually("both nodes run the set, and agree on its ring", () -> spread(sets), () -> "not yet");

    // Written on node0's cache without listener notifications: no node hears of these keys.
    EmbeddedCacheManager manager = (EmbeddedCacheManager) ((InfinispanClusterManager) ((VertxInternal) nodes.get(0).vertx).clusterManager())
      .getCacheContainer();
    AdvancedCache<String, String> keys = manager.<String, String>getCache("__cloister.workers.swept").getAdvancedCache()
      .withFlags(Flag.SKIP_LISTENER_NOTIFICATION);
    Set<String> silent = Set.of("quiet-0", "quiet-1", "quiet-2", "quiet-3", "quiet-4", "quiet-5");
    for (String k : silent) {
      keys.put(k, new JsonObject().put("k", k).encode());
    }

    eventually("every silently stored key runs once, on its owner", () -> history.eachRunsOnce(silent)
      && silent.stream().allMatch(k -> history.running().get(k).contains(sets.get(0).ownerOf(k))), history::perNode);
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
  }

  /** Whether the ring spreads keys over both nodes (it has both members). */
  static boolean spread(List<ShardedWorkers> sets) {
    try {
      Set<String> owners = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        String owner = sets.get(0).ownerOf("quiet-" + i);
        if (!owner.equals(sets.get(1).ownerOf("quiet-" + i))) {
          return false;
        }
        owners.add(owner);
      }
      return owners.size() == 2;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
