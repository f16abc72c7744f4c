package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.internal.Partitioner;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.jgroups.Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thousand keys on three nodes (consensus 2) through a join, a graceful leave and a node that
 * vanishes, and on five (consensus 3) through a partition of three and two and its heal: every start and stop is recorded, and no key may ever start on a
 * node while another runs it; at the end every key runs exactly once.
 */
class WorkersHistoryTest {

  private static final int KEYS = 1000;
  private static final String SET = "history";

  private final WorkHistory history = new WorkHistory();
  private final Map<Integer, ShardedWorkers> sets = new HashMap<>();
  private final Map<Integer, RecordingWorker> workers = new HashMap<>();
  private final Set<String> keys = new TreeSet<>();
  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Starts nodes (their Cloister first, as consensus 2 needs two of them), then the set on each. */
  private List<Node> startNodes(WorkersOptions options, int... indices) {
    return startNodes(2, options, indices);
  }

  /** Starts nodes with consensus {@code consensus} (their Cloister first), then the set on each. */
  private List<Node> startNodes(int consensus, WorkersOptions options, int... indices) {
    List<Node> started = new ArrayList<>();
    for (int i : indices) {
      started.add(cluster.start(i, cluster.options(i, consensus)));
    }
    started.forEach(n -> await(n.deployment));
    for (Node n : started) {
      RecordingWorker w = new RecordingWorker("node" + n.index, history);
      workers.put(n.index, w);
      sets.put(n.index, await(ShardedWorkers.start(n.vertx, SET, options, w)));
    }
    return started;
  }

  private void putKeys(ShardedWorkers set) {
    List<Future<Boolean>> batch = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      String k = "key-" + i;
      keys.add(k);
      batch.add(set.putNew(k, new JsonObject().put("i", i)));
      if (batch.size() == 100) {
        await(Future.all(batch));
        batch.clear();
      }
    }
    await(Future.all(batch));
  }

  private void awaitEachRunsOnceOn(Set<String> nodes) {
    eventually("each key runs exactly once, on " + nodes, () -> history.eachRunsOnce(keys)
      && history.perNode().keySet().equals(nodes), history::perNode);
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
  }

  /** Prints how many keys moved since event {@code mark}, and from the first stop to the last start. */
  private void report(String what, int mark) {
    List<WorkHistory.Event> moved = history.events().subList(mark, history.events().size());
    long first = moved.stream().filter(e -> !e.start()).mapToLong(WorkHistory.Event::at).min().orElse(0);
    long last = moved.stream().filter(WorkHistory.Event::start).mapToLong(WorkHistory.Event::at).max().orElse(0);
    System.out.println(what + ": " + moved.stream().filter(WorkHistory.Event::start).count()
      + " keys moved, " + (last - first) / 1_000_000 + " ms from the first stop to the last start");
  }

  private static WorkersOptions options() {
    return new WorkersOptions().setTick(1000);
  }

  @Test
  void aJoinAndAGracefulLeaveHandKeysOverWithoutOverlap() {
    cluster = new InJvmCluster(3);
    startNodes(options(), 0, 1);
    putKeys(sets.get(0));
    awaitEachRunsOnceOn(Set.of("node0", "node1"));

    int mark = history.events().size();
    startNodes(options(), 2);
    awaitEachRunsOnceOn(Set.of("node0", "node1", "node2"));
    report("join of node2", mark);
    assertTrue(history.events().stream().filter(e -> !e.start()).allMatch(e -> e.detail().equals("moved")),
      "a join only moves keys");

    Node leaving = cluster.nodes().stream().filter(n -> n.index == 1).findFirst().orElseThrow();
    Set<String> hadKeys = sets.get(1).localKeys();
    assertTrue(hadKeys.size() > 100, "node1 ran its share: " + hadKeys.size());
    mark = history.events().size();
    cluster.stop(leaving);
    awaitEachRunsOnceOn(Set.of("node0", "node2"));
    report("graceful leave of node1", mark);
    for (String k : hadKeys) {
      WorkHistory.Event start = history.lastStart(k);
      assertEquals("node1", new JsonObject(start.detail()).getString("handedOffBy"),
        "the payload node1 handed off is what " + start.node() + " started " + k + " with");
    }
    assertTrue(workers.get(1).stops.values().stream().flatMap(List::stream).allMatch("moved"::equals),
      "the leaving node stopped its keys as moved");
  }

  @Test
  void aPartitionOfThreeAndTwoStopsTheMinorityAndTheMajorityTakesOverAfterTheFence() throws Exception {
    cluster = new InJvmCluster(5);
    List<Node> nodes = startNodes(3, options(), 0, 1, 2, 3, 4);
    putKeys(sets.get(0));
    Set<String> all = Set.of("node0", "node1", "node2", "node3", "node4");
    awaitEachRunsOnceOn(all);
    Map<String, Integer> minorityKeys = new HashMap<>();
    sets.get(3).localKeys().forEach(k -> minorityKeys.put(k, 3));
    sets.get(4).localKeys().forEach(k -> minorityKeys.put(k, 4));
    assertTrue(minorityKeys.size() > 100, "the minority ran its share: " + minorityKeys.size());

    List<Partitioner> p = new ArrayList<>();
    for (Node n : nodes) {
      p.add(Partitioner.of(n.vertx));
    }
    List<Address> majority = List.of(p.get(0).address(), p.get(1).address(), p.get(2).address());
    List<Address> minority = List.of(p.get(3).address(), p.get(4).address());
    for (int i = 0; i < 5; i++) {
      p.get(i).isolateFrom(i < 3 ? minority : majority);
    }

    int mark = history.events().size();
    awaitEachRunsOnceOn(Set.of("node0", "node1", "node2"));
    report("partition 3 + 2", mark);
    assertTrue(sets.get(3).localKeys().isEmpty() && sets.get(4).localKeys().isEmpty(), "the minority runs nothing");
    minorityKeys.forEach((k, on) -> assertEquals(List.of("quorum-lost"), workers.get(on).stops.get(k),
      k + " on node" + on));

    mark = history.events().size();
    p.forEach(Partitioner::heal);
    awaitEachRunsOnceOn(all);
    report("heal of 3 + 2", mark);
    // The majority kept its keys through the merge (it heard a quorum all along): a heal only moves
    // the keys the minority owns again, by hand-off.
    List<WorkHistory.Event> healed = history.events().subList(mark, history.events().size());
    assertEquals(List.of(), healed.stream().filter(e -> !e.start() && !e.detail().equals("moved"))
      .map(e -> e.key() + " stopped on " + e.node() + ": " + e.detail()).limit(10).toList(),
      "the heal stops keys only to move them");
  }

  @Test
  void aVanishedNodesKeysRestartElsewhereWithTheirLastStoredPayloads() throws Exception {
    cluster = new InJvmCluster(3);
    // Keys "p-*" count their performs in their payload: each count is stored before the next perform.
    WorkersOptions o = new WorkersOptions().setTick(100);
    List<Node> nodes = startNodes(o, 0, 1, 2);
    for (int i = 0; i < 3; i++) {
      workers.get(i).outcome = (k, payload) -> k.startsWith("p-")
        ? WorkOutcome.replace(payload.copy().put("n", payload.getInteger("n", 0) + 1)) : WorkOutcome.ok();
    }
    putKeys(sets.get(0));
    for (int i = 0; i < 30; i++) {
      keys.add("p-" + i);
      await(sets.get(1).put("p-" + i, new JsonObject()));
    }
    awaitEachRunsOnceOn(Set.of("node0", "node1", "node2"));
    List<String> victimCounters = sets.get(2).localKeys().stream().filter(k -> k.startsWith("p-")).toList();
    assertTrue(!victimCounters.isEmpty(), "node2 runs some counters");
    eventually("node2's counters counted", () -> victimCounters.stream()
      .allMatch(k -> await(sets.get(0).get(k)).getInteger("n", 0) >= 3), () -> "");

    // What the survivors hold before the cut: every count node2 stored so far.
    Map<String, Integer> stored = new HashMap<>();
    for (String k : victimCounters) {
      stored.put(k, await(sets.get(0).get(k)).getInteger("n"));
    }
    // Cut node2 off from everyone for good: to the others it is gone, as after a crash. What it
    // writes from now on reaches no one (its own replica only), and it stops once it sees it is
    // alone.
    Partitioner.of(nodes.get(2).vertx).isolateFromAll();
    awaitEachRunsOnceOn(Set.of("node0", "node1"));
    for (String k : victimCounters) {
      WorkHistory.Event start = history.lastStart(k);
      assertNotNull(start);
      int n = new JsonObject(start.detail()).getInteger("n");
      assertTrue(n >= stored.get(k), k + " restarted on " + start.node() + " with count " + n + " though node2 had"
        + " stored " + stored.get(k));
    }
  }
}
