package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes in this JVM and one node JVM run the same worker set; the node JVM is killed with
 * {@code kill -9}. Its keys restart on the survivors only after the fence, never while it could
 * still run them, with the payloads it had stored.
 */
@Tag("process")
class WorkersCrashTest {

  private static final int KEYS = 1000;

  private final WorkHistory history = new WorkHistory(WorkersNodeMain::micros);
  private final Map<String, Integer> durable = new HashMap<>();
  private InJvmCluster cluster;
  private JavaProcess victim;
  private int read;

  @AfterEach
  void tearDown() {
    if (victim != null) {
      victim.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Takes the node JVM's new lines into the history. */
  private synchronized void sync() {
    List<String> lines = victim.lines();
    for (; read < lines.size(); read++) {
      String l = lines.get(read);
      WorkersNodeMain.Line w = WorkersNodeMain.Line.parse(l);
      if (w == null) {
        continue;
      }
      WorkHistory.Event e = w.toHistory("node2");
      if (e != null) {
        history.record(e);
      } else if (w.event().equals("perform")) {
        durable.merge(w.key(), new JsonObject(w.detail()).getInteger("n", 0), Math::max);
      }
    }
  }

  @Test
  void aKilledNodesKeysRestartOnTheSurvivorsAfterTheFenceWithTheirStoredPayloads() throws Exception {
    cluster = new InJvmCluster(3);
    List<Node> nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    nodes.forEach(n -> await(n.deployment));
    List<ShardedWorkers> sets = new ArrayList<>();
    for (Node n : nodes) {
      RecordingWorker w = new RecordingWorker("node" + n.index, history);
      w.outcome = (k, p) -> k.startsWith("p-") ? WorkOutcome.replace(p.copy().put("n", p.getInteger("n", 0) + 1))
        : WorkOutcome.ok();
      sets.add(await(ShardedWorkers.start(n.vertx, "crash", new WorkersOptions().setTick(100), w)));
    }
    victim = JavaProcess.launch(WorkersNodeMain.class.getName(), Map.of(
      "CLOISTER_SENTRY", String.join(",", cluster.sentry()),
      "CLOISTER_CLUSTER_PORT", cluster.sentry().get(2).substring("127.0.0.1:".length()),
      "CLOISTER_NODE_NAME", "node2",
      "CLOISTER_CONSENSUS", "2",
      "CLOISTER_LOOPBACK", "true"));
    victim.awaitLine("the node JVM's set started", l -> l.startsWith(WorkersNodeMain.PREFIX + "ready"), 120_000);

    Set<String> keys = new TreeSet<>();
    List<Future<Boolean>> batch = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      keys.add((i < 30 ? "p-" : "key-") + i);
    }
    for (String k : keys) {
      batch.add(sets.get(0).putNew(k, new JsonObject()));
    }
    await(Future.all(batch));
    eventually("each key runs once, on all three nodes", () -> {
      sync();
      return history.eachRunsOnce(keys) && history.perNode().size() == 3;
    }, history::perNode);
    List<String> counters = new ArrayList<>();
    history.running().forEach((k, on) -> {
      if (on.contains("node2") && k.startsWith("p-")) {
        counters.add(k);
      }
    });
    assertFalse(counters.isEmpty(), "node2 runs some counters");
    eventually("node2's counters counted", () -> {
      sync();
      return counters.stream().allMatch(k -> durable.getOrDefault(k, 0) >= 3);
    }, () -> durable);

    victim.close(); // SIGKILL, then waits for the exit
    long killedAt = WorkersNodeMain.micros();
    sync();
    Map<String, Integer> before = new HashMap<>(durable);
    history.running().forEach((k, on) -> {
      if (on.contains("node2")) {
        history.record(new WorkHistory.Event("node2", k, false, killedAt, "killed"));
      }
    });

    eventually("each key runs once, on the survivors", () -> history.eachRunsOnce(keys)
      && history.perNode().keySet().equals(Set.of("node0", "node1")), history::perNode);
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
    long first = Long.MAX_VALUE;
    long last = 0;
    for (String k : counters) {
      WorkHistory.Event restart = history.lastStart(k);
      first = Math.min(first, restart.at() - killedAt);
      last = Math.max(last, restart.at() - killedAt);
      assertTrue(restart.at() - killedAt >= 2_500_000L, k + " restarted " + (restart.at() - killedAt) / 1000
        + " ms after the kill: not before the failure-detection bound plus the fence");
      int n = new JsonObject(restart.detail()).getInteger("n", 0);
      assertTrue(n >= before.get(k), k + " restarted with count " + n + " though node2 had stored " + before.get(k));
    }
    System.out.println("kill -9 to restart of the killed node's counters: " + first / 1000 + " to " + last / 1000 + " ms");
  }
}
