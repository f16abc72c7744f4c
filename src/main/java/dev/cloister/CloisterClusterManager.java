package dev.cloister;

import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.transport.ClusterTransport;
import dev.cloister.impl.transport.MergeRepair;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;

/**
 * The vertx-infinispan cluster manager on the JGroups stack that Cloister builds from its options:
 * TCP bound to {@code clusterHost}/{@code clusterPort}, discovery seeded from the sentry, failure
 * detection tuned to notice a crashed node in under a second.
 *
 * <pre>{@code
 * Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
 * }</pre>
 *
 * <p>With a DNS sentry, the name is resolved before the node joins (and the transport binds to
 * the local address found in the answer unless {@code clusterHost} says otherwise), then
 * re-resolved every {@code discoveryInterval} for the node's whole life: new addresses are
 * contacted without a restart. After split views merge, the node writes its event-bus address
 * and subscriptions back, so that consumers on the other side are reachable again.
 */
public class CloisterClusterManager extends InfinispanClusterManager {

  private final ClusterTransport transport;
  private final MergeRepair mergeRepair;
  private volatile Vertx vertx;

  /** Creates a cluster manager configured by the {@code CLOISTER_*} environment variables (containers). */
  public CloisterClusterManager() {
    this(CloisterOptions.fromEnvironment());
  }

  /**
   * Creates a cluster manager for {@code options}.
   *
   * @param options the node's options; validated here
   * @throws IllegalArgumentException naming an invalid option
   */
  public CloisterClusterManager(CloisterOptions options) {
    this(ClusterTransport.build(NodeConfig.of(options)));
  }

  private CloisterClusterManager(ClusterTransport transport) {
    super(transport.cacheManager());
    this.transport = transport;
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
      public void setNodeInfo(NodeInfo info, Completable<Void> promise) {
        CloisterClusterManager.this.setNodeInfo(info, promise);
      }

      @Override
      public void writeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
        CloisterClusterManager.super.addRegistration(address, info, promise);
      }
    });
  }

  /**
   * The options this cluster manager was built from.
   *
   * @return a copy of the options
   */
  public CloisterOptions options() {
    return transport.config().copyOfOptions();
  }

  @Override
  public void init(Vertx vertx) {
    super.init(vertx);
    this.vertx = vertx;
    mergeRepair.init(((VertxInternal) vertx).createEventLoopContext());
  }

  @Override
  public synchronized void registrationListener(RegistrationListener listener) {
    super.registrationListener(listener);
    mergeRepair.registrationListener(listener);
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    mergeRepair.added(address, info);
    super.addRegistration(address, info, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    mergeRepair.removed(address, info);
    super.removeRegistration(address, info, promise);
  }

  @Override
  public void join(Completable<Void> promise) {
    transport.start(vertx).onComplete((v, err) -> {
      if (err != null) {
        promise.fail(err);
        return;
      }
      super.join((v2, err2) -> {
        if (err2 == null) {
          transport.joined(vertx, this::isActive);
          transport.cacheManager().addListener(mergeRepair.watcher());
        }
        promise.complete(v2, err2);
      });
    });
  }

  @Override
  public void leave(Completable<Void> promise) {
    transport.leaving();
    transport.cacheManager().removeListener(mergeRepair.watcher());
    super.leave((v, err) -> transport.stop(vertx).onComplete((v2, err2) -> promise.complete(null, err != null ? err : err2)));
  }
}
