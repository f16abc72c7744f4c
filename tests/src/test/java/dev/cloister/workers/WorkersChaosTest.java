package dev.cloister.workers;

import dev.cloister.ShardedWorkers;
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

/**
 * A short chaos soak: three thousand keys on two nodes in this JVM and two node JVMs; in each round
 * one node JVM is killed with {@code kill -9} and started again under the same name, then the other
 * is stopped with SIGTERM (a graceful leave, its keys handed off) and started again. Every start and
 * stop on every node goes into one history, timed by the machine's wall clock: no key may start on a
 * node while another runs it, and after each step every key runs exactly once.
 */
@Tag("process")
class WorkersChaosTest {

  private static final int KEYS = 3000;
  private static final int ROUNDS = 2;

  private final WorkHistory history = new WorkHistory(WorkersNodeMain::micros);
  private final List<NodeJvm> jvms = new ArrayList<>();
  private final Set<String> keys = new TreeSet<>();
  private InJvmCluster cluster;

  /** One run of a node JVM and how far its output has been read. */
  private static final class NodeJvm {
    final String name;
    final JavaProcess process;
    int read;

    NodeJvm(String name, JavaProcess process) {
      this.name = name;
      this.process = process;
    }
  }

  @AfterEach
  void tearDown() {
    jvms.forEach(j -> j.process.close());
    if (cluster != null) {
      cluster.close();
    }
  }

  private NodeJvm launch(int index) throws Exception {
    String name = "node" + index;
    JavaProcess p = JavaProcess.launch(WorkersNodeMain.class.getName(), Map.of(
      "CLOISTER_SENTRY", String.join(",", cluster.sentry()),
      "CLOISTER_CLUSTER_PORT", cluster.sentry().get(index).substring("127.0.0.1:".length()),
      "CLOISTER_NODE_NAME", name,
      "CLOISTER_CONSENSUS", "2",
      "CLOISTER_LOOPBACK", "true",
      "WORKERS_TICK", "1000"));
    NodeJvm jvm = new NodeJvm(name, p);
    synchronized (this) {
      jvms.add(jvm);
    }
    p.awaitLine(name + "'s set started", l -> l.startsWith(WorkersNodeMain.PREFIX + "ready"), 120_000);
    return jvm;
  }

  /** Takes the node JVMs' new start and stop lines into the history. */
  private synchronized void sync() {
    for (NodeJvm j : jvms) {
      List<String> lines = j.process.lines();
      for (; j.read < lines.size(); j.read++) {
        WorkersNodeMain.Line w = WorkersNodeMain.Line.parse(lines.get(j.read));
        WorkHistory.Event e = w == null ? null : w.toHistory(j.name);
        if (e != null) {
          history.record(e);
        }
      }
    }
  }

  private void awaitEachRunsOnceOn(Set<String> nodes) {
    eventually("each key runs exactly once, on " + nodes, () -> {
      sync();
      return history.eachRunsOnce(keys) && history.perNode().keySet().equals(nodes);
    }, this::observed);
    assertEquals(List.of(), history.overlaps(), "no key ran on two nodes at once");
  }

  /** For a failure: the keys running per node, and what each node JVM logged last besides its events. */
  private synchronized String observed() {
    StringBuilder out = new StringBuilder(String.valueOf(history.perNode()));
    for (NodeJvm j : jvms) {
      List<String> logged = j.process.lines().stream().filter(l -> !l.startsWith(WorkersNodeMain.PREFIX)).toList();
      out.append("\n").append(j.name).append(" logged last:");
      logged.subList(Math.max(0, logged.size() - 25), logged.size()).forEach(l -> out.append("\n  ").append(l));
    }
    return out.toString();
  }

  /** {@code kill -9}: the keys it ran stop at the moment of the kill, as far as the history goes. */
  private void kill(NodeJvm j) {
    j.process.close();
    long killedAt = WorkersNodeMain.micros();
    j.process.awaitOutputEnd(10_000);
    sync();
    history.running().forEach((k, on) -> {
      if (on.contains(j.name)) {
        history.record(new WorkHistory.Event(j.name, k, false, killedAt, "killed"));
      }
    });
  }

  /** SIGTERM: a graceful leave, whose stops the node JVM prints before it exits. */
  private void stop(NodeJvm j) {
    j.process.terminate();
    j.process.awaitExit(60_000);
    j.process.awaitOutputEnd(10_000);
    sync();
    assertFalse(history.perNode().containsKey(j.name), j.name + " stopped every key it ran before it exited: "
      + history.perNode());
  }

  @Test
  void killStopAndRestartRoundsNeverRunAKeyTwiceAndEndWithEveryKeyRunningOnce() throws Exception {
    cluster = new InJvmCluster(4);
    List<Node> local = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    local.forEach(n -> await(n.deployment));
    List<ShardedWorkers> sets = new ArrayList<>();
    for (Node n : local) {
      sets.add(await(ShardedWorkers.start(n.vertx, "crash", new WorkersOptions().setTick(1000),
        new RecordingWorker("node" + n.index, history))));
    }
    Map<Integer, NodeJvm> up = new HashMap<>();
    up.put(2, launch(2));
    up.put(3, launch(3));

    List<Future<Boolean>> batch = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      String k = "key-" + i;
      keys.add(k);
      batch.add(sets.get(i % 2).putNew(k, new JsonObject().put("i", i)));
    }
    await(Future.all(batch));
    Set<String> all = Set.of("node0", "node1", "node2", "node3");
    awaitEachRunsOnceOn(all);

    for (int round = 0; round < ROUNDS; round++) {
      int crashed = round % 2 == 0 ? 2 : 3;
      int left = 5 - crashed;
      kill(up.get(crashed));
      awaitEachRunsOnceOn(without(all, crashed));
      up.put(crashed, launch(crashed));
      awaitEachRunsOnceOn(all);

      stop(up.get(left));
      awaitEachRunsOnceOn(without(all, left));
      up.put(left, launch(left));
      awaitEachRunsOnceOn(all);
      System.out.printf("chaos round %d: %d starts and stops so far, no overlap%n", round + 1,
        history.events().size());
    }
  }

  private static Set<String> without(Set<String> nodes, int index) {
    Set<String> out = new TreeSet<>(nodes);
    out.remove("node" + index);
    return out;
  }
}
