package dev.cloister.junit5.internal;

import dev.cloister.Cloister;
import dev.cloister.CloisterState;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.launcher.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A test cluster of node JVMs ({@link KitNodeMain}) started from the test's class path. */
public final class ProcessNodes extends KitCluster<ProcessNodes.Node> {

  /** How often waits ask the node JVMs for their state, in ms. */
  private static final long REFRESH_MS = 250;

  /** One node JVM. */
  static final class Node extends KitNode {

    volatile NodeProcess process;

    Node(int index) {
      super(index);
    }

    @Override
    public Vertx vertx() {
      throw new UnsupportedOperationException(name + " runs in its own JVM (process mode): its Vert.x is out of "
        + "reach; use state(), or the in-JVM mode");
    }

    @Override
    public Cloister cloister() {
      throw new UnsupportedOperationException(name + " runs in its own JVM (process mode): its Cloister is out of "
        + "reach; use state(), or the in-JVM mode");
    }

    @Override
    public CloisterState state() {
      NodeProcess p = process;
      JsonObject s = p == null ? null : p.lastState();
      return s == null ? null : new CloisterState(s);
    }

    @Override
    public List<String> transitions() {
      NodeProcess p = process;
      if (p == null) {
        return List.of();
      }
      return p.events().stream().filter(e -> e.containsKey("from") && e.containsKey("to"))
        .map(e -> e.getString("from") + "->" + e.getString("to") + " members "
          + new CloisterState(e.getJsonObject("state")).memberNames())
        .toList();
    }

    @Override
    String line() {
      NodeProcess p = process;
      List<String> out = p == null ? List.of() : p.output();
      return super.line() + (out.isEmpty() ? "" : "; last output " + out.subList(Math.max(0, out.size() - 3), out.size()));
    }
  }

  private volatile long refreshedAt;

  private ProcessNodes(KitConfig config) {
    super(config);
  }

  /**
   * Starts a cluster of node JVMs and waits until every node is READY.
   *
   * @param config what to start
   * @return the cluster
   */
  public static CloisterCluster start(KitConfig config) {
    ProcessNodes cluster = new ProcessNodes(config);
    cluster.startAll();
    return cluster;
  }

  @Override
  Node newNode(int index) {
    return new Node(index);
  }

  @Override
  void launch(Node n) {
    Map<String, String> env = new HashMap<>();
    env.put("CLOISTER_APP", app);
    env.put("CLOISTER_SENTRY", String.join(",", sentry()));
    env.put("CLOISTER_CONSENSUS", String.valueOf(config.consensus()));
    env.put("CLOISTER_LOOPBACK", "true");
    env.put("CLOISTER_CLUSTER_PORT", String.valueOf(port(n.index)));
    env.put("CLOISTER_NODE_NAME", n.name);
    List<String> jvm = new ArrayList<>();
    if (!config.deploy().isEmpty()) {
      jvm.add("-D" + KitNodeMain.DEPLOY_PROPERTY + "="
        + config.deploy().stream().map(Class::getName).collect(Collectors.joining(",")));
    }
    try {
      n.process = NodeProcess.launch(KitNodeMain.class.getName(), n.name, env, jvm, line -> { });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + n.name + "'s JVM", e);
    }
    n.up = true;
  }

  @Override
  void refresh() {
    long now = System.currentTimeMillis();
    if (now - refreshedAt < REFRESH_MS) {
      return;
    }
    refreshedAt = now;
    for (Node n : nodes) {
      if (n.up) {
        if (!n.process.isAlive()) {
          throw new AssertionError(n.name + "'s JVM ended unexpectedly\n" + describe());
        }
        n.process.send("state");
      }
    }
  }

  @Override
  public void kill(int index) {
    Node n = upNode(index);
    n.up = false;
    n.process.kill9();
  }

  @Override
  public void stop(int index) {
    Node n = upNode(index);
    n.up = false;
    if (!n.process.stop()) {
      throw new AssertionError(n.name + "'s JVM did not end within 30 s of a graceful stop\n" + describe());
    }
  }

  @Override
  void discard(Node n) {
    n.process.close();
  }

  @Override
  void awaitStarted(Node n) {
    waitFor(n.name + " READY", () -> {
      CloisterState s = n.state();
      return s != null && s.getStatus() == dev.cloister.CloisterStatus.READY;
    });
  }

  @Override
  public void partition(int[]... sides) {
    List<List<Node>> groups = sides(sides);
    for (int s = 0; s < groups.size(); s++) {
      String others = others(groups, s).stream().map(n -> "127.0.0.1:" + port(n.index)).collect(Collectors.joining(","));
      for (Node n : groups.get(s)) {
        command(n, "partition " + others, "partitioned");
      }
    }
  }

  @Override
  public void heal() {
    for (Node n : nodes) {
      if (n.up) {
        command(n, "heal", "healed");
      }
    }
  }

  private void command(Node n, String command, String event) {
    int from = n.process.events().size();
    n.process.send(command);
    try {
      JsonObject e = n.process.await("'" + event + "' after '" + command + "'", from,
        ev -> event.equals(ev.getString("event")) || "error".equals(ev.getString("event")), config.timeout().toMillis());
      if ("error".equals(e.getString("event"))) {
        throw new AssertionError(n.name + " failed '" + command + "': " + e.getString("message"));
      }
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + "\n" + describe(), e);
    }
  }

  @Override
  public void close() {
    List<Node> reversed = new ArrayList<>(nodes);
    Collections.reverse(reversed);
    for (Node n : reversed) {
      NodeProcess p = n.process;
      if (p != null && p.isAlive()) {
        n.up = false;
        p.requestStop();
        p.awaitExit(30);
      }
    }
    releasePorts();
  }
}
