package dev.cloister.junit5.internal;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterVerticle;
import dev.cloister.junit5.CloisterCluster;
import io.vertx.core.Future;
import io.vertx.core.Verticle;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.Address;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A test cluster of several clustered Vert.x instances in this JVM. */
public final class InJvmNodes extends KitCluster<InJvmNodes.Node> {

  /** One in-JVM node. */
  static final class Node extends KitNode {

    volatile Vertx vertx;
    volatile CloisterVerticle verticle;
    volatile Future<String> deployment;

    Node(int index) {
      super(index);
    }

    @Override
    public Vertx vertx() {
      if (!up) {
        throw new IllegalStateException(name + " is not up");
      }
      return vertx;
    }

    @Override
    public Cloister cloister() {
      if (!up) {
        throw new IllegalStateException(name + " is not up");
      }
      return verticle.cloister();
    }

    @Override
    public CloisterState state() {
      CloisterVerticle v = verticle;
      if (v == null) {
        return null;
      }
      try {
        return v.cloister().state();
      } catch (RuntimeException notStarted) {
        return null;
      }
    }
  }

  private InJvmNodes(KitConfig config) {
    super(config);
  }

  /**
   * Starts a cluster and waits until every node is READY.
   *
   * @param config what to start
   * @return the cluster
   */
  public static CloisterCluster start(KitConfig config) {
    InJvmNodes cluster = new InJvmNodes(config);
    cluster.startAll();
    return cluster;
  }

  @Override
  Node newNode(int index) {
    return new Node(index);
  }

  private CloisterOptions options(Node n) {
    CloisterOptions base = new CloisterOptions().setApp(app).setSentry(sentry()).setConsensus(config.consensus())
      .setLoopback(true).setClusterPort(port(n.index)).setNodeName(n.name)
      // The kit closes its nodes; a JVM hook per node would outlive the test.
      .setShutdownHook(false);
    return config.options().apply(n.index, base);
  }

  /** Builds the node's clustered Vert.x (it joins) and deploys its Cloister, which completes at READY. */
  @Override
  void launch(Node n) {
    CloisterOptions options = options(n);
    Vertx vertx = await(n.name + "'s clustered Vert.x",
      Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered());
    n.vertx = vertx;
    n.verticle = new CloisterVerticle(options, (from, to, state) -> n.recordTransition(from.name(), to.name(), state));
    n.up = true;
    n.deployment = vertx.deployVerticle(n.verticle);
  }

  /** Waits for the node's Cloister (READY) and deploys the test's verticles on it. */
  @Override
  void awaitStarted(Node n) {
    await(n.name + "'s Cloister deployment (it completes at READY)", n.deployment);
    for (Class<? extends Verticle> type : config.deploy()) {
      Verticle v;
      try {
        v = type.getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException("cannot build verticle " + type.getName()
          + " with a public no-argument constructor: " + e, e);
      }
      await(type.getSimpleName() + " on " + n.name, n.vertx.deployVerticle(v));
    }
  }

  private <T> T await(String what, Future<T> f) {
    try {
      return f.await(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("awaited for " + config.timeout().toSeconds() + " s: " + what + "; got " + e
        + "\n" + describe(), e);
    }
  }

  @Override
  public void kill(int index) {
    Node n = upNode(index);
    n.up = false;
    // Its JGroups channel closes under Cloister, which never removes its record or hands anything
    // off: to the others, a crash. Its Vert.x is closed on restart or at the end.
    channelOf(n).close();
  }

  @Override
  public void stop(int index) {
    Node n = upNode(index);
    n.up = false;
    await(n.name + " closing", n.vertx.close());
    n.vertx = null;
  }

  @Override
  void discard(Node n) {
    closeQuietly(n);
  }

  @Override
  public void partition(int[]... sides) {
    List<List<Node>> groups = sides(sides);
    for (int s = 0; s < groups.size(); s++) {
      List<Address> others = others(groups, s).stream().map(n -> partitioner(n).address()).toList();
      groups.get(s).forEach(n -> partitioner(n).isolateFrom(others));
    }
  }

  @Override
  public void heal() {
    nodes.stream().filter(KitNode::isUp).forEach(n -> partitioner(n).heal());
  }

  @Override
  public void close() {
    List<Node> reversed = new ArrayList<>(nodes);
    Collections.reverse(reversed);
    for (Node n : reversed) {
      n.up = false;
      closeQuietly(n);
    }
    releasePorts();
  }

  private void closeQuietly(Node n) {
    Vertx v = n.vertx;
    n.vertx = null;
    if (v != null) {
      try {
        v.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // best effort: a crashed node may not close cleanly; its ports are this cluster's alone
      }
    }
  }

  private static Partitioner partitioner(Node n) {
    try {
      return Partitioner.of(n.vertx);
    } catch (Exception e) {
      throw new IllegalStateException("cannot cut " + n.name + "'s traffic: " + e, e);
    }
  }

  private static org.jgroups.JChannel channelOf(Node n) {
    InfinispanClusterManager cm = (InfinispanClusterManager) ((VertxInternal) n.vertx).clusterManager();
    EmbeddedCacheManager manager = (EmbeddedCacheManager) cm.getCacheContainer();
    return ((JGroupsTransport) manager.getTransport()).getChannel();
  }
}
