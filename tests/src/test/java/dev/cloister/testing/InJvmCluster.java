package dev.cloister.testing;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.VertxOptions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Several clustered Vert.x instances in this JVM, each on its own loopback port, all seeded with
 * the same static sentry: a real JGroups/Infinispan cluster, only faster to form than processes.
 */
public final class InJvmCluster implements AutoCloseable {

  private final List<Integer> ports;
  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private volatile IntFunction<VertxOptions> vertxOptions = i -> new VertxOptions();

  /** One node: its Vert.x, its deployment and the transitions it went through. */
  public static final class Node {
    /** The node's index in the cluster's port list. */
    public final int index;
    /** Its clustered Vert.x. */
    public final Vertx vertx;
    /** Every transition, in order, as {@code FROM->TO}. */
    public final List<String> transitions = new CopyOnWriteArrayList<>();
    /** The states the listener saw, in order. */
    public final List<CloisterState> states = new CopyOnWriteArrayList<>();
    /** The deployment of its CloisterVerticle: completes at READY. */
    public volatile Future<String> deployment;
    volatile CloisterVerticle verticle;

    Node(int index, Vertx vertx) {
      this.index = index;
      this.vertx = vertx;
    }

    /** @return the node's current state */
    public CloisterState state() {
      return verticle.cloister().state();
    }

    /** @return its Cloister */
    public dev.cloister.Cloister cloister() {
      return verticle.cloister();
    }

    /** @return a copy of the transitions so far, for failure messages */
    public Object transitions() {
      return List.copyOf(transitions);
    }

    /** @return the last status the listener saw, or DOWN */
    public CloisterStatus lastStatus() {
      return states.isEmpty() ? CloisterStatus.DOWN : states.get(states.size() - 1).getStatus();
    }
  }

  /**
   * Reserves ports for {@code size} nodes; none is started yet.
   *
   * @param size how many nodes the sentry lists
   */
  public InJvmCluster(int size) {
    this.ports = TestPorts.block(size);
  }

  /**
   * Sets the Vert.x options of the nodes started from now on (metrics, for instance).
   *
   * @param options node index to its Vert.x options
   * @return this
   */
  public InJvmCluster vertxOptions(IntFunction<VertxOptions> options) {
    this.vertxOptions = options;
    return this;
  }

  /** @return the static sentry: every reserved port on 127.0.0.1 */
  public List<String> sentry() {
    List<String> s = new ArrayList<>();
    ports.forEach(p -> s.add("127.0.0.1:" + p));
    return s;
  }

  /**
   * Options for node {@code index}: loopback, its own port, the shared sentry.
   *
   * @param index the node index
   * @param consensus the consensus
   * @return options
   */
  public CloisterOptions options(int index, int consensus) {
    return new CloisterOptions().setSentry(sentry()).setConsensus(consensus).setLoopback(true)
      .setClusterPort(ports.get(index)).setNodeName("node" + index);
  }

  /**
   * Starts a clustered Vert.x for node {@code index} and deploys Cloister on it; the deployment is
   * left pending until READY.
   *
   * @param index the node index
   * @param options its options
   * @return the node
   */
  public Node start(int index, CloisterOptions options) {
    return start(index, options, o -> { });
  }

  /**
   * As {@link #start(int, CloisterOptions)}, with a hook to add listeners.
   *
   * @param index the node index
   * @param options its options
   * @param extra called with the node before the deployment
   * @return the node
   */
  public Node start(int index, CloisterOptions options, Consumer<Node> extra) {
    return start(index, options, options, extra);
  }

  /**
   * Starts node {@code index} with a cluster manager built from {@code transport} and Cloister
   * running with {@code options}.
   *
   * @param index the node index
   * @param transport the options of the cluster manager
   * @param options the options of the CloisterVerticle
   * @param extra called with the node before the deployment
   * @return the node
   */
  public Node start(int index, CloisterOptions transport, CloisterOptions options, Consumer<Node> extra) {
    return start(index, new CloisterClusterManager(transport), options, extra);
  }

  /**
   * Starts node {@code index} on a Vert.x built with {@code manager} and Cloister running with
   * {@code options}.
   *
   * @param index the node index
   * @param manager the cluster manager
   * @param options the options of the CloisterVerticle
   * @param extra called with the node before the deployment
   * @return the node
   */
  public Node start(int index, ClusterManager manager, CloisterOptions options, Consumer<Node> extra) {
    Vertx vertx = await(Vertx.builder().with(vertxOptions.apply(index)).withClusterManager(manager).buildClustered());
    Node node = new Node(index, vertx);
    nodes.add(node);
    extra.accept(node);
    CloisterListener recorder = (from, to, state) -> {
      node.transitions.add(from + "->" + to);
      node.states.add(state);
    };
    node.verticle = new CloisterVerticle(options, recorder);
    node.deployment = vertx.deployVerticle(node.verticle);
    return node;
  }

  /** @return the started nodes */
  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /**
   * Closes one node's Vert.x (graceful leave).
   *
   * @param node the node
   */
  public void stop(Node node) {
    nodes.remove(node);
    await(node.vertx.close());
  }

  /**
   * Crashes one node as far as the cluster can tell: its JGroups channel closes under Cloister,
   * which never removes its record or hands anything off; its Vert.x stays up until {@link #close}.
   *
   * @param node the node
   */
  public void crash(Node node) {
    ((JGroupsTransport) NodeCaches.manager(node.vertx).getTransport()).getChannel().close();
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      try {
        n.vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // best effort: the next test uses other ports
      }
    }
    nodes.clear();
  }

  /**
   * Waits for a future, failing the test after 60 s.
   *
   * @param f the future
   * @param <T> its type
   * @return its result
   */
  public static <T> T await(Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }
}
