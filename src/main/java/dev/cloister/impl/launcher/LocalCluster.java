package dev.cloister.impl.launcher;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts a local cluster of N node JVMs on loopback with one generated config (Cloister's
 * {@code mix cloister.run}), prints their output, and tears them all down on exit.
 *
 * <pre>
 * LocalCluster [--nodes 3] [--consensus N] [--base-port 7800] [--app cloister]
 *              [--timeout SECONDS] [--until-ready]
 * </pre>
 *
 * <p>Every node gets the same environment: a static sentry of N loopback ports, so each one binds
 * the first free port of the list. {@code --until-ready} exits 0 as soon as every node is READY
 * (non-zero if {@code --timeout} passes first); otherwise the cluster runs until Ctrl-C or the
 * timeout.
 */
public final class LocalCluster {

  private final List<Process> nodes = new ArrayList<>();
  private final Map<Integer, Boolean> ready = new ConcurrentHashMap<>();
  private final CountDownLatch allReady;
  private final int size;

  private LocalCluster(int size) {
    this.size = size;
    this.allReady = new CountDownLatch(size);
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
    String app = "cloister";
    long timeout = 0;
    boolean untilReady = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> n = Integer.parseInt(args[++i]);
        case "--consensus" -> consensus = Integer.parseInt(args[++i]);
        case "--base-port" -> basePort = Integer.parseInt(args[++i]);
        case "--app" -> app = args[++i];
        case "--timeout" -> timeout = Long.parseLong(args[++i]);
        case "--until-ready" -> untilReady = true;
        case "" -> { }
        default -> {
          System.err.println("usage: LocalCluster [--nodes N] [--consensus N] [--base-port P] [--app NAME] "
            + "[--timeout SECONDS] [--until-ready]");
          System.exit(64);
        }
      }
    }
    if (n < 1 || (consensus != null && consensus < 1)) {
      System.err.println("--nodes and --consensus must be at least 1");
      System.exit(64);
    }
    LocalCluster cluster = new LocalCluster(n);
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::stopAll, "local-cluster-shutdown"));
    long t0 = System.currentTimeMillis();
    cluster.launch(app, basePort, consensus == null ? n : consensus);
    boolean allReady = timeout > 0
      ? cluster.allReady.await(timeout, TimeUnit.SECONDS)
      : untilReady ? awaitForever(cluster.allReady) : false;
    if (untilReady) {
      System.out.println(allReady
        ? "local cluster: all " + n + " nodes READY in " + (System.currentTimeMillis() - t0) + " ms"
        : "local cluster: not every node was READY within " + timeout + " s");
      System.exit(allReady ? 0 : 1);
    }
    if (timeout > 0) {
      System.out.println("local cluster: timeout of " + timeout + " s reached, stopping");
      System.exit(0);
    }
    Thread.currentThread().join();
  }

  private static boolean awaitForever(CountDownLatch latch) throws InterruptedException {
    latch.await();
    return true;
  }

  private void launch(String app, int basePort, int consensus) throws IOException {
    List<String> sentry = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      sentry.add("127.0.0.1:" + (basePort + i));
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    System.out.println("local cluster: " + size + " nodes, consensus " + consensus + ", sentry " + sentry);
    for (int i = 0; i < size; i++) {
      ProcessBuilder pb = new ProcessBuilder(java, "-Djava.net.preferIPv4Stack=true", "-XX:TieredStopAtLevel=1",
        "-Xshare:auto", "-cp", System.getProperty("java.class.path"), NodeMain.class.getName());
      Map<String, String> env = pb.environment();
      env.put("CLOISTER_APP", app);
      env.put("CLOISTER_SENTRY", String.join(",", sentry));
      env.put("CLOISTER_CONSENSUS", String.valueOf(consensus));
      env.put("CLOISTER_LOOPBACK", "true");
      pb.redirectErrorStream(true);
      Process p = pb.start();
      nodes.add(p);
      int index = i;
      Thread pump = new Thread(() -> pump(index, p), "node-" + i + "-output");
      pump.setDaemon(true);
      pump.start();
    }
  }

  private void pump(int index, Process p) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(NodeMain.EVENT_PREFIX)) {
          JsonObject e = new JsonObject(line.substring(NodeMain.EVENT_PREFIX.length()));
          if ("READY".equals(e.getString("to")) && ready.putIfAbsent(index, true) == null) {
            allReady.countDown();
          }
          continue;
        }
        System.out.println("[node-" + index + "] " + line);
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("[node-" + index + "] output closed: " + e.getMessage());
    }
  }

  private void stopAll() {
    for (Process p : nodes) {
      if (p.isAlive()) {
        try {
          OutputStream in = p.getOutputStream();
          in.write("stop\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        } catch (IOException e) {
          p.destroy();
        }
      }
    }
    for (Process p : nodes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
    System.out.println("local cluster: all nodes stopped");
  }
}
