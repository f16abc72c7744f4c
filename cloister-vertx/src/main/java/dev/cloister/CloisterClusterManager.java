package dev.cloister;

import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.transport.ClusterTransport;
import dev.cloister.impl.transport.MergeRepair;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.commons.api.BasicCacheContainer;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The vertx-infinispan cluster manager on the JGroups stack that Cloister builds from its options:
 * TCP bound to {@code clusterHost}/{@code clusterPort}, discovery seeded from the sentry, failure
 * detection tuned to notice a crashed node in under a second.
 *
 * <pre>{@code
 * Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
 * }</pre>
 *
 * <p>Constructing one builds nothing: the JGroups channel and the Infinispan cache manager are
 * built when the clustered Vert.x joins the cluster, on a worker thread. Options given to the
 * constructor are validated there; the no-argument form reads the {@code CLOISTER_*} environment
 * variables when the clustered Vert.x is built, which then fails naming an invalid one.
 *
 * <p>With a DNS sentry, the name is resolved before the node joins (and the transport binds to
 * the local address found in the answer unless {@code clusterHost} says otherwise), then
 * re-resolved every {@code discoveryInterval} for the node's whole life: new addresses are
 * contacted without a restart. After split views merge, the node writes its event-bus address
 * and subscriptions back, so that consumers on the other side are reachable again.
 *
 * <p>With the {@code jgroupsConfig} option it runs on the user's JGroups XML stack instead, as
 * written: discovery, binding and encryption are then the stack's, and failure detection is judged
 * by that stack's timings.
 */
public class CloisterClusterManager extends InfinispanClusterManager {

  // Every public method of InfinispanClusterManager is overridden to go to the manager built at
  // the join, so that the superclass (constructed without a cache manager) is never used: Vert.x
  // and vertx-infinispan's health check still see an InfinispanClusterManager.

  private final Supplier<CloisterOptions> source;
  private final MergeRepair mergeRepair;
  private NodeConfig config;
  private volatile Vertx vertx;
  private volatile RegistrationListener registrationListener;
  private volatile NodeListener nodeListener;
  private volatile Joined joined;
  /**
   * This node's event-bus node info as Vert.x set it: vertx-infinispan's own getter is
   * synchronized with its view handling, which holds that lock for as long as its cache clean-ups
   * during a merge take (measured on the real-network rig: 61 s), and Vert.x may ask on an event
   * loop.
   */
  private volatile NodeInfo nodeInfo;

  /** What the join built: the transport and the vertx-infinispan manager running on it. */
  private record Joined(ClusterTransport transport, InfinispanClusterManager manager) {
  }

  /**
   * Creates a cluster manager configured by the {@code CLOISTER_*} environment variables
   * (containers), read when the clustered Vert.x is built.
   */
  public CloisterClusterManager() {
    this(CloisterOptions::fromEnvironment);
  }

  /**
   * Creates a cluster manager for {@code options}.
   *
   * @param options the node's options; validated here
   * @throws IllegalArgumentException naming an invalid option
   */
  public CloisterClusterManager(CloisterOptions options) {
    this(fixed(NodeConfig.of(options)));
  }

  /**
   * Creates a cluster manager whose options are read from {@code source} the first time they are
   * needed.
   *
   * @param source where the options come from; may throw naming an invalid option
   */
  CloisterClusterManager(Supplier<CloisterOptions> source) {
    this.source = source;
    this.mergeRepair = new MergeRepair(new MergeRepair.Target() {
      @Override
      public boolean isActive() {
        return CloisterClusterManager.this.isActive();
      }

      @Override
      public NodeInfo getNodeInfo() {
        return CloisterClusterManager.this.getNodeInfo();
      }

      @Override
      public void awaitViewHandling() {
        Joined j = joined;
        if (j != null) {
          // vertx-infinispan's getter is synchronized with its view handling: entering it waits.
          j.manager.getNodeInfo();
        }
      }

      @Override
      public void setNodeInfo(NodeInfo info, Completable<Void> promise) {
        CloisterClusterManager.this.setNodeInfo(info, promise);
      }

      @Override
      public void writeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
        manager().addRegistration(address, info, promise);
      }
    });
  }

  private static Supplier<CloisterOptions> fixed(NodeConfig config) {
    return config::copyOfOptions;
  }

  /**
   * The options this cluster manager runs with; for the no-argument form, read from the
   * environment on the first call.
   *
   * @return a copy of the options
   * @throws IllegalArgumentException naming an invalid option
   */
  public CloisterOptions options() {
    return config().copyOfOptions();
  }

  private synchronized NodeConfig config() {
    if (config == null) {
      config = NodeConfig.of(source.get());
    }
    return config;
  }

  private InfinispanClusterManager manager() {
    Joined j = joined;
    if (j == null) {
      throw new IllegalStateException("The cluster manager has not joined the cluster");
    }
    return j.manager;
  }

  @Override
  public void init(Vertx vertx) {
    this.vertx = vertx;
    VertxInternal internal = (VertxInternal) vertx;
    mergeRepair.init(internal.createEventLoopContext(), internal.createWorkerContext());
  }

  @Override
  public void join(Completable<Void> promise) {
    NodeConfig c;
    try {
      c = config();
    } catch (RuntimeException e) {
      promise.fail(e);
      return;
    }
    Vertx v = vertx;
    // Building the channel may resolve host names: never on the caller's thread, which may be an
    // event loop.
    v.executeBlocking(() -> ClusterTransport.build(c), false).compose(transport -> {
      InfinispanClusterManager manager = new InfinispanClusterManager(transport.cacheManager());
      RegistrationListener rl = registrationListener;
      if (rl != null) {
        manager.registrationListener(rl);
      }
      NodeListener nl = nodeListener;
      if (nl != null) {
        manager.nodeListener(nl);
      }
      manager.init(v);
      joined = new Joined(transport, manager);
      return transport.start(v).compose(x -> Future.<Void>future(p -> manager.join(p)));
    }).onComplete((x, err) -> {
      Joined j = joined;
      if (err == null) {
        j.transport.joined(v, this::isActive);
        j.transport.cacheManager().addListener(mergeRepair.watcher());
      }
      promise.complete(null, err);
    });
  }

  @Override
  public void leave(Completable<Void> promise) {
    Joined j = joined;
    if (j == null) {
      promise.succeed();
      return;
    }
    j.transport.leaving();
    j.transport.cacheManager().removeListener(mergeRepair.watcher());
    j.manager.leave((v, err) -> j.transport.stop(vertx).onComplete((v2, err2) -> promise.complete(null, err != null ? err : err2)));
  }

  @Override
  public boolean isActive() {
    Joined j = joined;
    return j != null && j.manager.isActive();
  }

  @Override
  public synchronized void registrationListener(RegistrationListener listener) {
    registrationListener = listener;
    Joined j = joined;
    if (j != null) {
      j.manager.registrationListener(listener);
    }
    mergeRepair.registrationListener(listener);
  }

  @Override
  public synchronized void nodeListener(NodeListener listener) {
    nodeListener = listener;
    Joined j = joined;
    if (j != null) {
      j.manager.nodeListener(listener);
    }
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    mergeRepair.added(address, info);
    manager().addRegistration(address, info, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    mergeRepair.removed(address, info);
    manager().removeRegistration(address, info, promise);
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    manager().getRegistrations(address, promise);
  }

  /**
   * The Infinispan cache manager, once the cluster manager has joined.
   *
   * @return the cache container
   * @throws IllegalStateException before the join
   */
  @Override
  public BasicCacheContainer getCacheContainer() {
    return manager().getCacheContainer();
  }

  @Override
  public <K, V> void getAsyncMap(String name, Completable<AsyncMap<K, V>> promise) {
    manager().getAsyncMap(name, promise);
  }

  @Override
  public <K, V> Map<K, V> getSyncMap(String name) {
    return manager().getSyncMap(name);
  }

  @Override
  public void getLockWithTimeout(String name, long timeout, Completable<Lock> promise) {
    manager().getLockWithTimeout(name, timeout, promise);
  }

  @Override
  public void getCounter(String name, Completable<Counter> promise) {
    manager().getCounter(name, promise);
  }

  @Override
  public String getNodeId() {
    return manager().getNodeId();
  }

  @Override
  public List<String> getNodes() {
    return manager().getNodes();
  }

  @Override
  public void setNodeInfo(NodeInfo nodeInfo, Completable<Void> promise) {
    InfinispanClusterManager m = manager();
    this.nodeInfo = nodeInfo;
    m.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public NodeInfo getNodeInfo() {
    return joined == null ? null : nodeInfo;
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    manager().getNodeInfo(nodeId, promise);
  }

  @Override
  public String clusterHost() {
    return manager().clusterHost();
  }

  @Override
  public String clusterPublicHost() {
    return manager().clusterPublicHost();
  }
}
