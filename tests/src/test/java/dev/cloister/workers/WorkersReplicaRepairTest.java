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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Replicas that disagree on a key (as a write that a topology change cut short leaves them: a
 * processed message still stored on one node, or a key its owner's replica never got) are settled
 * by the key's primary copy once a sweep saw the key without a lease twice: a key the primary copy
 * holds reaches every replica and runs on its owner; a key it does not hold leaves every replica.
 */
class WorkersReplicaRepairTest {

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static AdvancedCache<String, String> keysCache(Node n) {
    EmbeddedCacheManager manager = (EmbeddedCacheManager) ((InfinispanClusterManager) ((VertxInternal) n.vertx)
      .clusterManager()).getCacheContainer();
    return manager.<String, String>getCache("__cloister.workers.settled").getAdvancedCache();
  }

  @Test
  void aKeyInOneReplicaOnlyIsSettledByItsPrimaryCopy() {
    cluster = new InJvmCluster(2);
    List<Node> nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    nodes.forEach(n -> await(n.deployment));
    WorkHistory history = new WorkHistory();
    List<ShardedWorkers> sets = new ArrayList<>();
    for (Node n : nodes) {
      sets.add(await(ShardedWorkers.start(n.vertx, "settled", new WorkersOptions(),
        new RecordingWorker("node" + n.index, history))));
    }
    eventually("both nodes run the set, and agree on its ring", () -> WorkersSweepTest.spread(sets), () -> "not yet");

    // Keys node0 owns in the set's ring, written into node1's replica alone: node0 never hears of
    // them, node1 does not run them. Which node holds each one's primary copy decides its fate.
    AdvancedCache<String, String> onNode1 = keysCache(nodes.get(1));
    String node0Address = String.valueOf(keysCache(nodes.get(0)).getCacheManager().getAddress());
    Map<String, Boolean> primaryOnNode1 = new LinkedHashMap<>();
    for (int i = 0; primaryOnNode1.size() < 8 && i < 1000; i++) {
      String k = "stray-" + i;
      if (sets.get(0).ownerOf(k).equals("node0")) {
        String primary = String.valueOf(onNode1.getDistributionManager().getCacheTopology().getDistribution(k).primary());
        boolean onOne = !primary.equals(node0Address);
        if (primaryOnNode1.values().stream().filter(v -> v == onOne).count() < 4) {
          primaryOnNode1.put(k, onOne);
        }
      }
    }
    assertEquals(8, primaryOnNode1.size(), "four keys of each kind: " + primaryOnNode1);
    AdvancedCache<String, String> localOnly = onNode1.withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_LISTENER_NOTIFICATION);
    primaryOnNode1.keySet().forEach(k -> localOnly.put(k, new JsonObject().put("k", k).encode()));

    Set<String> kept = new HashSet<>();
    Set<String> dropped = new HashSet<>();
    primaryOnNode1.forEach((k, onOne) -> (onOne ? kept : dropped).add(k));
    eventually("the kept keys are in both replicas and run once, on node0; the others are in neither", () -> {
      for (String k : kept) {
        if (await(sets.get(0).get(k)) == null || await(sets.get(1).get(k)) == null) {
          return false;
        }
      }
      for (String k : dropped) {
        if (await(sets.get(0).get(k)) != null || await(sets.get(1).get(k)) != null) {
          return false;
        }
      }
      return history.eachRunsOnce(kept) && kept.stream().allMatch(k -> history.running().get(k).contains("node0"));
    }, () -> "running " + history.running() + ", kept " + kept + ", dropped " + dropped);
    dropped.forEach(k -> assertFalse(history.events().stream().anyMatch(e -> e.key().equals(k)), k + " never ran"));
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
  }
}
