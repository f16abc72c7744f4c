package examples;

import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "zero cost distribution" example on a cluster that changes under it: messages handed to
 * whichever nodes are up while a node joins and one leaves gracefully; every message is processed,
 * by the nodes that owned it, and none is left waiting. (A crash while messages flow is not here:
 * lease writes that fail as the node goes can leave a few keys unstarted, see docs/workers.md.)
 */
class ZeroCostDistributionTest {

  private static final int BATCH = 600;

  private final Map<Integer, ZeroCostDistribution> processors = new HashMap<>();
  private final List<String> sent = new ArrayList<>();
  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Starts the nodes' Cloister (consensus 2 needs two of them), then the processor on each. */
  private List<Node> startNodes(int... indices) {
    List<Node> started = new ArrayList<>();
    for (int i : indices) {
      started.add(cluster.start(i, cluster.options(i, 2)));
    }
    for (Node n : started) {
      await(n.deployment);
      processors.put(n.index, await(ZeroCostDistribution.start(n.vertx)));
    }
    return started;
  }

  /** A broker handing messages round-robin to the nodes that are up; each is stored before it is acknowledged. */
  private void deliver(List<Integer> up) {
    List<Future<Void>> acks = new ArrayList<>();
    for (int i = 0; i < BATCH; i++) {
      String id = "m-" + sent.size();
      sent.add(id);
      ZeroCostDistribution at = processors.get(up.get(i % up.size()));
      acks.add(at.receive("entity-" + (i % 37), id, new JsonObject().put("amount", i)));
    }
    await(Future.all(acks));
  }

  /** For a failure: how many were processed, and each missing message's result and whether it is still stored. */
  private String unprocessed() {
    Set<String> done = processedIds();
    List<String> missing = sent.stream().filter(id -> !done.contains(id)).limit(10).toList();
    Vertx any = cluster.nodes().get(0).vertx;
    AsyncMap<String, String> results = await(any.sharedData().<String, String>getClusterWideMap(ZeroCostDistribution.PROCESSED));
    List<String> detail = new ArrayList<>();
    for (String id : missing) {
      detail.add(id + " (result " + await(results.get(id)) + ", still stored " + await(processors.get(0).isStored(id)) + ")");
    }
    return done.size() + " of " + sent.size() + " processed; missing " + detail;
  }

  /** For a failure: what each node's replica still stores, and who processed those messages. */
  private String waiting() {
    Map<Integer, List<String>> stored = new HashMap<>();
    for (int i : List.of(0, 2, 3)) {
      List<String> here = new ArrayList<>();
      for (String id : sent) {
        if (await(processors.get(i).isStored(id))) {
          here.add(id);
        }
      }
      stored.put(i, here);
    }
    List<String> detail = new ArrayList<>();
    for (String id : stored.get(0).stream().limit(5).toList()) {
      List<Integer> by = new ArrayList<>();
      processors.forEach((i, p) -> {
        if (p.processedIds().contains(id)) {
          by.add(i);
        }
      });
      detail.add(id + " processed by node(s) " + by);
    }
    return await(processors.get(0).pending()) + " waiting; stored per node's replica " + stored.entrySet().stream()
      .map(e -> "node" + e.getKey() + "=" + e.getValue().size()).toList() + "; " + detail;
  }

  private Set<String> processedIds() {
    Set<String> all = new HashSet<>();
    processors.values().forEach(p -> all.addAll(p.processedIds()));
    return all;
  }

  @Test
  void everyMessageIsProcessedOnceStoredWhileNodesJoinAndLeave() {
    cluster = new InJvmCluster(4);
    List<Node> nodes = new ArrayList<>(startNodes(0, 1, 2));
    deliver(List.of(0, 1, 2));

    nodes.addAll(startNodes(3));
    deliver(List.of(0, 1, 2, 3));

    long beforeLeave = processors.get(1).processedHere();
    cluster.stop(nodes.get(1)); // a graceful leave: its waiting messages are handed off
    deliver(List.of(0, 2, 3));

    // Every stored message was processed by some node. The result map is the application's own
    // store, here a cluster-wide map of Infinispan (two owners per entry), so the check counts what
    // each node processed.
    eventually("every message processed", () -> processedIds().containsAll(sent), this::unprocessed);
    // And none left waiting: each processed message was removed (a halt that came while its key was
    // being handed off used to be dropped, which left processed messages stored).
    eventually("none waiting", () -> await(processors.get(0).pending()) == 0L, this::waiting);
    assertTrue(beforeLeave > 0, "node1 processed its share before it left");
    for (int i : List.of(0, 2, 3)) {
      assertTrue(processors.get(i).processedHere() > 0, "node" + i + " processed its share");
    }
  }
}
