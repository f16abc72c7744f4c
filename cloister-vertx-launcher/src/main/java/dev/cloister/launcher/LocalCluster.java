package dev.cloister.launcher;

import dev.cloister.CloisterHttpVerticle;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a local cluster of N node JVMs on loopback with one generated config (Cloister's
 * {@code mix cloister.run}), prints their output, and tears them all down on exit.
 *
 * <pre>
 * LocalCluster [--nodes 3] [--consensus N] [--base-port 7800] [--app cloister]
 *              [--http-port 8558] [--timeout SECONDS] [--until-ready]
 * </pre>
 *
 * <p>Every node gets the same environment: a static sentry of N loopback ports, so each one binds
 * the first free port of the list. Node {@code i} serves its health, state and dashboard on
 * 127.0.0.1 at {@code --http-port + i} ({@code --http-port 0}: none). {@code --until-ready} exits 0 as soon as every node is READY
 * (non-zero if {@code --timeout} passes first, or a node exits first; without {@code --timeout}
 * it waits as long as the nodes take); otherwise the cluster runs until Ctrl-C or the timeout.
 */
public final class LocalCluster {

  private final List<NodeProcess> nodes = new ArrayList<>();

  private LocalCluster() {
  }

  /**
   * Runs the launcher.
   *
   * @param args see the class description
   * @throws Exception on a launch failure
   */
  public static void main(String[] args) throws Exception {
    int n = 3;
    Integer consensus = null;
    int basePort = 7800;
    int httpPort = CloisterHttpVerticle.DEFAULT_PORT;
    String app = "cloister";
    long timeout = 0;
    boolean untilReady = false;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--nodes" -> n = Integer.parseInt(args[++i]);
          case "--consensus" -> consensus = Integer.parseInt(args[++i]);
          case "--base-port" -> basePort = Integer.parseInt(args[++i]);
          case "--http-port" -> httpPort = Integer.parseInt(args[++i]);
          case "--app" -> app = args[++i];
          case "--timeout" -> timeout = Long.parseLong(args[++i]);
          case "--until-ready" -> untilReady = true;
          case "" -> { }
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (n < 1 || (consensus != null && consensus < 1)) {
        throw new IllegalArgumentException("--nodes and --consensus must be at least 1");
      }
      if (httpPort < 0 || httpPort + n - 1 > 65535) {
        throw new IllegalArgumentException("--http-port must leave room for " + n + " ports below 65536");
      }
    } catch (RuntimeException e) {
      System.err.println(e.getMessage() + "\nusage: LocalCluster [--nodes N] [--consensus N] [--base-port P] "
        + "[--http-port P] [--app NAME] [--timeout SECONDS] [--until-ready]");
      System.exit(64);
    }
    LocalCluster cluster = new LocalCluster();
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::stopAll, "local-cluster-shutdown"));
    long t0 = System.currentTimeMillis();
    cluster.launch(n, app, basePort, httpPort, consensus == null ? n : consensus);
    long deadline = timeout > 0 ? t0 + timeout * 1000 : Long.MAX_VALUE;
    boolean allReady = cluster.awaitReady(deadline);
    if (allReady) {
      System.out.println("local cluster: all " + n + " nodes READY in " + (System.currentTimeMillis() - t0) + " ms");
    } else {
      System.out.println("local cluster: not every node was READY" + (timeout > 0 ? " within " + timeout + " s"
        : " (a node exited first)"));
    }
    if (untilReady) {
      System.exit(allReady ? 0 : 1);
    }
    long rest = deadline - System.currentTimeMillis();
    if (rest > 0) {
      Thread.sleep(Math.min(rest, Long.MAX_VALUE / 2));
    }
    System.out.println("local cluster: timeout of " + timeout + " s reached, stopping");
    System.exit(0);
  }

  private void launch(int size, String app, int basePort, int httpPort, int consensus) throws IOException {
    List<String> sentry = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      sentry.add("127.0.0.1:" + (basePort + i));
    }
    System.out.println("local cluster: " + size + " nodes, consensus " + consensus + ", sentry " + sentry);
    Map<String, String> env = Map.of(
      "CLOISTER_APP", app,
      "CLOISTER_SENTRY", String.join(",", sentry),
      "CLOISTER_CONSENSUS", String.valueOf(consensus),
      "CLOISTER_LOOPBACK", "true");
    for (int i = 0; i < size; i++) {
      String label = "[node-" + i + "] ";
      List<String> jvm = new ArrayList<>(List.of("-Xshare:auto"));
      if (httpPort > 0) {
        jvm.add("-D" + NodeMain.HTTP_PORT_PROPERTY + "=" + (httpPort + i));
        System.out.println("local cluster: node-" + i + " dashboard http://127.0.0.1:" + (httpPort + i) + "/cloister/"
          + " (state: /cloister/state, health: /health/ready)");
      }
      nodes.add(NodeProcess.launch("node-" + i, env, jvm, line -> System.out.println(label + line)));
    }
  }

  private boolean awaitReady(long deadline) {
    for (NodeProcess node : nodes) {
      try {
        long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, deadline - System.currentTimeMillis());
        node.awaitTransitionTo("READY", 0, left);
      } catch (IllegalStateException e) {
        return false;
      }
    }
    return true;
  }

  private void stopAll() {
    nodes.forEach(NodeProcess::requestStop);
    nodes.forEach(n -> n.awaitExit(20));
    System.out.println("local cluster: all nodes stopped");
  }
}
