package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.NodeCaches;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.json.JsonObject;
import org.infinispan.AdvancedCache;
import org.infinispan.context.Flag;
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
 * The key set's repairs, on two nodes: a key whose events never came (written without notifying
 * any listener, as an event lost in a topology change or a write that failed would leave it) is
 * started by the periodic sweep on its owner; and replicas that disagree on a key (as a write that a
 * topology change cut short leaves them) are settled by the key's primary copy once a sweep saw the
 * key without a lease twice: a key the primary copy holds reaches every replica and runs on its
 * owner, a key it does not hold leaves every replica.
 */
class WorkersRepairTest {

  private InJvmCluster cluster;
  private List<Node> nodes;
  private final List<ShardedWorkers> sets = new ArrayList<>();
  private final WorkHistory history = new WorkHistory();

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Two nodes running set {@code name}, agreeing on its ring. */
  private void startTwo(String name) {
    cluster = new InJvmCluster(2);
    nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    nodes.forEach(n -> await(n.deployment));
    for (Node n : nodes) {
      sets.add(await(ShardedWorkers.start(n.vertx, name, new WorkersOptions(), new RecordingWorker("node" + n.index, history))));
    }
    eventually("both nodes run the set, and agree on its ring", this::spread, () -> "not yet");
  }

  /** Whether the ring spreads keys over both nodes, the same on each. */
  private boolean spread() {
    try {
      Set<String> owners = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        String owner = sets.get(0).ownerOf("probe-" + i);
        if (!owner.equals(sets.get(1).ownerOf("probe-" + i))) {
          return false;
        }
        owners.add(owner);
      }
      return owners.size() == 2;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private AdvancedCache<String, String> keysCache(Node n, String set) {
    return NodeCaches.manager(n.vertx).<String, String>getCache("__cloister.workers." + set).getAdvancedCache();
  }

  @Test
  void keysStoredWithoutAnyEventAreStartedOnTheirOwnersBySweeps() {
    startTwo("swept");
    // Written on node0's cache without listener notifications: no node hears of these keys.
    AdvancedCache<String, String> keys = keysCache(nodes.get(0), "swept").withFlags(Flag.SKIP_LISTENER_NOTIFICATION);
    Set<String> silent = Set.of("quiet-0", "quiet-1", "quiet-2", "quiet-3", "quiet-4", "quiet-5");
    for (String k : silent) {
      keys.put(k, new JsonObject().put("k", k).encode());
    }

    eventually("every silently stored key runs once, on its owner", () -> history.eachRunsOnce(silent)
      && silent.stream().allMatch(k -> history.running().get(k).contains(sets.get(0).ownerOf(k))), history::perNode);
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
  }

  @Test
  void aKeyInOneReplicaOnlyIsSettledByItsPrimaryCopy() {
    startTwo("settled");
    // Keys node0 owns in the set's ring, written into node1's replica alone: node0 never hears of
    // them, node1 does not run them. Which node holds each one's primary copy decides its fate.
    AdvancedCache<String, String> onNode1 = keysCache(nodes.get(1), "settled");
    String node0Address = String.valueOf(keysCache(nodes.get(0), "settled").getCacheManager().getAddress());
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
