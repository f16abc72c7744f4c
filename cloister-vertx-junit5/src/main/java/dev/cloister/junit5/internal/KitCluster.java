package dev.cloister.junit5.internal;

import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import dev.cloister.launcher.FreePorts;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What both modes share: the app name, the reserved ports and sentry, the nodes, and the bounded
 * waits with their failure messages.
 *
 * @param <N> the kind of node
 */
abstract class KitCluster<N extends KitNode> implements CloisterCluster {

  /** Ports reserved beyond the first nodes, for {@link #addNode()}. */
  static final int SPARE = 4;
  /** Port blocks handed out in this JVM, so that two clusters of one JVM never share one. */
  private static final Set<Integer> TAKEN = new HashSet<>();

  final KitConfig config;
  final String app;
  final List<Integer> ports;
  final List<N> nodes = new CopyOnWriteArrayList<>();

  KitCluster(KitConfig config) {
    this.config = config;
    this.app = "kit-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    this.ports = reservePorts(config.nodes() + SPARE);
  }

  private static List<Integer> reservePorts(int count) {
    synchronized (TAKEN) {
      for (int attempt = 0; attempt < 50; attempt++) {
        // Below the range the project's own tests use, and below Linux's ephemeral ports.
        List<Integer> block = FreePorts.block(count, 10000, 60);
        if (block.stream().noneMatch(TAKEN::contains)) {
          TAKEN.addAll(block);
          return block;
        }
      }
      throw new IllegalStateException("no free block of " + count + " loopback ports left in this JVM");
    }
  }

  /**
   * The static sentry a node starts with: the ports of the nodes the cluster has (at least the
   * first ones), never a spare port that nothing listens on (JGroups would log each refused try).
   *
   * @return {@code 127.0.0.1:port} of every node so far
   */
  List<String> sentry() {
    return ports.subList(0, Math.max(nodes.size(), config.nodes())).stream().map(p -> "127.0.0.1:" + p).toList();
  }

  /** @return the ports of the first nodes (the sentry a node starts with) */
  int port(int index) {
    if (index >= ports.size()) {
      throw new IllegalStateException("a test cluster has room for " + ports.size() + " nodes");
    }
    return ports.get(index);
  }

  @Override
  public int size() {
    return nodes.size();
  }

  @Override
  public CloisterNode node(int index) {
    return nodes.get(index);
  }

  /** @return a node not started yet */
  abstract N newNode(int index);

  /** Starts the node's Vert.x or JVM; it may not be READY yet. */
  abstract void launch(N n);

  /** Waits until a launched node is READY (and, in-JVM, the test's verticles are deployed on it). */
  abstract void awaitStarted(N n);

  /** Ends what is left of a node that is not up (a crashed node's Vert.x, an ended JVM). */
  abstract void discard(N n);

  /** Starts the first nodes and waits until all are READY; on failure closes whatever started. */
  final void startAll() {
    try {
      for (int i = 0; i < config.nodes(); i++) {
        N n = newNode(i);
        nodes.add(n);
        launch(n);
      }
      nodes.forEach(this::awaitStarted);
      awaitReady();
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  @Override
  public final int addNode() {
    N n = newNode(nodes.size());
    port(n.index);
    nodes.add(n);
    launch(n);
    awaitStarted(n);
    return n.index;
  }

  @Override
  public final void restart(int index) {
    N n = kitNode(index);
    if (n.up) {
      stop(index);
    }
    discard(n);
    launch(n);
    awaitStarted(n);
  }

  N upNode(int index) {
    N n = kitNode(index);
    if (!n.up) {
      throw new IllegalStateException(n.name + " is not up");
    }
    return n;
  }

  /** @return the nodes of each side, all up */
  List<List<N>> sides(int[]... sides) {
    List<List<N>> out = new ArrayList<>();
    for (int[] side : sides) {
      List<N> g = new ArrayList<>();
      for (int i : side) {
        g.add(upNode(i));
      }
      out.add(g);
    }
    return out;
  }

  /** @return the nodes of every side but {@code side} */
  static <T> List<T> others(List<List<T>> sides, int side) {
    List<T> out = new ArrayList<>();
    for (int o = 0; o < sides.size(); o++) {
      if (o != side) {
        out.addAll(sides.get(o));
      }
    }
    return out;
  }

  N kitNode(int index) {
    if (index < 0 || index >= nodes.size()) {
      throw new IndexOutOfBoundsException("no node " + index + " in a cluster of " + nodes.size());
    }
    return nodes.get(index);
  }

  @Override
  public String app() {
    return app;
  }

  /** Asks process nodes for fresh states; in-JVM nodes read theirs directly. */
  void refresh() {
  }

  @Override
  public void awaitReady() {
    waitFor("every node that is up READY", () -> nodes.stream().filter(KitNode::isUp)
      .allMatch(n -> n.state() != null && n.state().getStatus() == CloisterStatus.READY));
  }

  @Override
  public void awaitConverged() {
    awaitConverged(nodes.stream().filter(KitNode::isUp).mapToInt(KitNode::index).toArray());
  }

  @Override
  public void awaitConverged(int... indexes) {
    List<N> side = IntStream.of(indexes).mapToObj(this::kitNode).toList();
    Set<String> names = side.stream().map(KitNode::name).collect(Collectors.toSet());
    waitFor("nodes " + names + " READY and converged, each with exactly these members and one ring checksum", () -> {
      Set<String> checksums = new HashSet<>();
      for (N n : side) {
        CloisterState s = n.state();
        if (!n.isUp() || s == null || s.getStatus() != CloisterStatus.READY || !s.isConverged()
          || !new HashSet<>(s.memberNames()).equals(names)) {
          return false;
        }
        checksums.add(s.getChecksum());
      }
      return checksums.size() == 1;
    });
  }

  @Override
  public void eventually(Runnable assertion) {
    long deadline = System.nanoTime() + config.timeout().toNanos();
    while (true) {
      try {
        assertion.run();
        return;
      } catch (AssertionError | RuntimeException e) {
        if (System.nanoTime() > deadline) {
          AssertionError failed = new AssertionError("still failing after " + config.timeout().toSeconds()
            + " s: " + e.getMessage() + "\n" + describe(), e);
          throw failed;
        }
      }
      pause();
    }
  }

  /**
   * Waits for a condition, bounded by the cluster's timeout.
   *
   * @param what what is awaited, for the failure message
   * @param condition the condition
   */
  void waitFor(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + config.timeout().toNanos();
    while (true) {
      refresh();
      if (condition.getAsBoolean()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("awaited for " + config.timeout().toSeconds() + " s: " + what + "; saw:\n" + describe());
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }

  @Override
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add("cluster " + app + " (" + nodes.size() + " nodes, consensus " + config.consensus() + "):");
    nodes.forEach(n -> lines.add("  " + n.line()));
    return String.join("\n", lines);
  }

  @Override
  public String toString() {
    return describe();
  }

  /** Gives the reserved ports back once every node is closed. */
  void releasePorts() {
    synchronized (TAKEN) {
      ports.forEach(TAKEN::remove);
    }
  }
}
