package dev.cloister.bench.cluster;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import dev.cloister.launcher.FreePorts;
import dev.cloister.launcher.NodeProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Times cluster assembly, crash detection and graceful leave on real clusters, and prints a table.
 *
 * <ul>
 *   <li>(a) in one JVM, 3 nodes, consensus 3: the last node's bare vertx-infinispan join
 *       ({@code buildClustered}) and then, from its end, READY on every node;</li>
 *   <li>(b) 3 node JVMs, consensus 2: from {@code kill -9} of one to both survivors READY on two members;</li>
 *   <li>(c) in one JVM, 3 nodes, consensus 2: from an undeploy to both survivors READY on two members;</li>
 *   <li>(d) one node JVM, consensus 1: from the JVM launch to READY.</li>
 * </ul>
 */
public final class ClusterBench {

  private static final Logger[] QUIET = {
    Logger.getLogger("org.infinispan"), Logger.getLogger("org.jgroups"), Logger.getLogger("org.jboss"),
    Logger.getLogger("dev.cloister"), Logger.getLogger("io.vertx")};

  private ClusterBench() {
  }

  /**
   * Runs every measurement.
   *
   * @param args optional: the number of runs of each measurement (default 7)
   * @throws Exception when a cluster cannot form
   */
  public static void main(String[] args) throws Exception {
    for (Logger l : QUIET) {
      l.setLevel(Level.SEVERE);
    }
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    List<Row> rows = new ArrayList<>();
    List<Long> join = new ArrayList<>();
    List<Long> overhead = new ArrayList<>();
    List<Long> leave = new ArrayList<>();
    assembly(1, new ArrayList<>(), new ArrayList<>()); // warm-up, not counted
    for (int i = 0; i < runs; i++) {
      assembly(i, join, overhead);
      leave.add(gracefulLeave());
    }
    List<Long> detect = new ArrayList<>();
    List<Long> killed = new ArrayList<>();
    List<Long> alone = new ArrayList<>();
    List<Long> terminated = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long[] k = depart(false);
      detect.add(k[0]);
      killed.add(k[1]);
      terminated.add(depart(true)[1]);
      alone.add(loneNode());
    }
    rows.add(new Row("(a) bare vertx-infinispan join of the 3rd node (buildClustered)", join, "reference"));
    rows.add(new Row("(a) Cloister: 3rd node joined -> READY on all 3 nodes", overhead, "<= 100 ms over the join"));
    rows.add(new Row("(b) kill -9 of 1 of 3 JVMs -> survivors REHASHING", detect, "reference"));
    rows.add(new Row("(b) kill -9 of 1 of 3 JVMs -> both survivors READY on 2", killed, "<= 1000 ms"));
    rows.add(new Row("(c) graceful leave (undeploy) -> both survivors READY on 2", leave, "<= 50 ms"));
    rows.add(new Row("(c) SIGTERM of 1 of 3 JVMs (Cloister's shutdown hook) -> both survivors READY on 2",
      terminated, "graceful-leave time"));
    rows.add(new Row("(d) one node JVM, consensus 1: launch -> READY", alone, "<= 2500 ms"));
    print(runs, rows);
    System.exit(0);
  }

  private record Row(String what, List<Long> ms, String target) {
  }

  private static void print(int runs, List<Row> rows) {
    System.out.printf("%nCluster timings, %d runs each, %d cores (ms)%n%n", runs,
      Runtime.getRuntime().availableProcessors());
    System.out.printf("| %-66s | %6s | %6s | %6s | %-24s |%n", "measure", "p50", "min", "max", "target");
    System.out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(68), "-".repeat(8), "-".repeat(8), "-".repeat(8),
      "-".repeat(26));
    for (Row r : rows) {
      List<Long> s = new ArrayList<>(r.ms);
      Collections.sort(s);
      System.out.printf("| %-66s | %6d | %6d | %6d | %-24s |%n", r.what, s.get(s.size() / 2), s.get(0),
        s.get(s.size() - 1), r.target);
    }
  }

  // ---- in-JVM measurements ----

  private static final class Node {
    final Vertx vertx;
    final Map<String, Long> readyAt = new ConcurrentHashMap<>();
    volatile int members;
    Future<String> deployment;

    Node(Vertx vertx) {
      this.vertx = vertx;
    }
  }

  private static CloisterOptions options(List<Integer> ports, int index, int consensus) {
    List<String> sentry = new ArrayList<>();
    ports.forEach(p -> sentry.add("127.0.0.1:" + p));
    return new CloisterOptions().setSentry(sentry).setLoopback(true).setConsensus(consensus)
      .setClusterPort(ports.get(index)).setNodeName("n" + index);
  }

  private static Node deploy(Vertx vertx, CloisterOptions options) {
    Node node = new Node(vertx);
    node.deployment = vertx.deployVerticle(new CloisterVerticle(options, (from, to, state) -> {
      node.members = state.getMembers().size();
      if (to == CloisterStatus.READY) {
        node.readyAt.put(state.getMembers().size() + "", System.nanoTime());
      }
    }));
    return node;
  }

  private static Vertx clustered(CloisterOptions options) throws Exception {
    return Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
      .await(60, TimeUnit.SECONDS);
  }

  private static void assembly(int run, List<Long> join, List<Long> overhead) throws Exception {
    List<Integer> ports = FreePorts.block(3, 10000, 60);
    List<Node> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        nodes.add(deploy(clustered(options(ports, i, 3)), options(ports, i, 3)));
      }
      while (nodes.get(0).members < 2 || nodes.get(1).members < 2) {
        Thread.sleep(5);
      }
      long t0 = System.nanoTime();
      Vertx last = clustered(options(ports, 2, 3));
      long t1 = System.nanoTime();
      nodes.add(deploy(last, options(ports, 2, 3)));
      for (Node n : nodes) {
        n.deployment.await(60, TimeUnit.SECONDS);
      }
      long t2 = nodes.stream().mapToLong(n -> n.readyAt.get("3")).max().orElseThrow();
      join.add(ms(t1 - t0));
      overhead.add(ms(t2 - t1));
    } finally {
      closeAll(nodes);
    }
  }

  private static long gracefulLeave() throws Exception {
    List<Integer> ports = FreePorts.block(3, 10000, 60);
    List<Node> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(deploy(clustered(options(ports, i, 2)), options(ports, i, 2)));
      }
      for (Node n : nodes) {
        n.deployment.await(60, TimeUnit.SECONDS);
      }
      while (nodes.stream().anyMatch(n -> n.members < 3)) {
        Thread.sleep(5);
      }
      Thread.sleep(200);
      Node leaving = nodes.remove(2);
      // With consensus 2 the survivors were READY on two members during assembly already.
      nodes.forEach(n -> n.readyAt.clear());
      long t0 = System.nanoTime();
      Future<Void> undeployed = leaving.vertx.undeploy(leaving.deployment.result());
      while (nodes.stream().anyMatch(n -> !n.readyAt.containsKey("2"))) {
        Thread.onSpinWait();
      }
      long t1 = nodes.stream().mapToLong(n -> n.readyAt.get("2")).max().orElseThrow();
      undeployed.await(30, TimeUnit.SECONDS);
      leaving.vertx.close().await(30, TimeUnit.SECONDS);
      return ms(t1 - t0);
    } finally {
      closeAll(nodes);
    }
  }

  private static void closeAll(List<Node> nodes) {
    for (Node n : nodes) {
      try {
        n.vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the next run uses other ports
      }
    }
  }

  // ---- process measurements ----

  /**
   * One of three node JVMs departs, killed ({@code kill -9}) or sent SIGTERM.
   *
   * @return ms from the signal to the first survivor's REHASHING, and to both survivors READY on 2
   */
  private static long[] depart(boolean sigterm) throws Exception {
    List<Integer> ports = FreePorts.block(3, 10000, 60);
    List<String> sentry = new ArrayList<>();
    ports.forEach(p -> sentry.add("127.0.0.1:" + p));
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(NodeProcess.launch("k" + i, Map.of("CLOISTER_SENTRY", String.join(",", sentry),
          "CLOISTER_CONSENSUS", "2", "CLOISTER_LOOPBACK", "true", "CLOISTER_CLUSTER_PORT", String.valueOf(ports.get(i)))));
      }
      for (NodeProcess n : nodes) {
        n.await("3 members", 0, e -> "READY".equals(e.getString("to")) && members(e) == 3);
      }
      Thread.sleep(500);
      List<Integer> marks = nodes.stream().map(n -> n.events().size()).toList();
      long t0 = System.currentTimeMillis();
      if (sigterm) {
        nodes.get(2).sigterm();
      } else {
        nodes.get(2).kill9();
      }
      long detected = 0;
      long ready = 0;
      for (int i = 0; i < 2; i++) {
        JsonObject r = nodes.get(i).await("REHASHING", marks.get(i), e -> "REHASHING".equals(e.getString("to")));
        JsonObject e = nodes.get(i).await("READY on 2", marks.get(i), ev -> "READY".equals(ev.getString("to"))
          && members(ev) == 2);
        detected = Math.max(detected, r.getLong("at") - t0);
        ready = Math.max(ready, e.getLong("at") - t0);
      }
      return new long[]{detected, ready};
    } finally {
      nodes.forEach(NodeProcess::requestStop);
      nodes.forEach(n -> n.awaitExit(20));
    }
  }

  private static long loneNode() throws Exception {
    int port = FreePorts.block(1, 10000, 60).get(0);
    NodeProcess n = NodeProcess.launch("alone", Map.of("CLOISTER_LOOPBACK", "true",
      "CLOISTER_CLUSTER_PORT", String.valueOf(port)));
    try {
      JsonObject ready = n.awaitTransitionTo("READY", 0);
      return ready.getLong("at") - n.launchedAt();
    } finally {
      n.requestStop();
      n.awaitExit(20);
    }
  }

  private static int members(JsonObject event) {
    return event.getJsonObject("state").getJsonArray("members").size();
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
