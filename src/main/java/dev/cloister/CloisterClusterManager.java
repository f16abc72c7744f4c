package dev.cloister;

import dev.cloister.impl.discovery.HostAndPort;
import dev.cloister.impl.discovery.Sentry;
import dev.cloister.impl.transport.CacheManagers;
import dev.cloister.impl.transport.ClusterBinding;
import dev.cloister.impl.transport.JGroupsStack;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.DefaultCacheManager;
import org.jgroups.JChannel;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The vertx-infinispan cluster manager on the JGroups stack that Cloister builds from its options:
 * TCP bound to {@code clusterHost}/{@code clusterPort}, discovery seeded from the sentry, failure
 * detection tuned to notice a crashed node in under a second.
 *
 * <pre>{@code
 * Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
 * }</pre>
 */
public class CloisterClusterManager extends InfinispanClusterManager {

  private final DefaultCacheManager cacheManager;
  private final CloisterOptions options;
  private final ClusterBinding binding;
  private Vertx vertx;

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
    this(Prepared.of(new CloisterOptions(options).validate()));
  }

  private CloisterClusterManager(Prepared prepared) {
    super(prepared.cacheManager);
    this.cacheManager = prepared.cacheManager;
    this.options = prepared.options;
    this.binding = prepared.binding;
  }

  /** What the constructor computes before the superclass needs the cache manager. */
  private record Prepared(CloisterOptions options, ClusterBinding binding, DefaultCacheManager cacheManager) {
    static Prepared of(CloisterOptions options) {
      Sentry sentry = Sentry.parse(options.getSentry(), portOf(options));
      ClusterBinding binding = ClusterBinding.choose(options, sentry);
      List<InetSocketAddress> seeds = new ArrayList<>();
      for (HostAndPort seed : sentry.staticSeeds()) {
        seeds.add(new InetSocketAddress(seed.host(), seed.port()));
      }
      try {
        JChannel channel = JGroupsStack.channel(binding, seeds);
        return new Prepared(options, binding, CacheManagers.create(channel, "cloister-" + options.getApp()));
      } catch (Exception e) {
        throw new IllegalStateException("Cannot build the cluster transport on " + binding.host().getHostAddress()
          + ":" + binding.port() + ": " + e.getMessage(), e);
      }
    }

    private static int portOf(CloisterOptions options) {
      return options.getClusterPort() == 0 ? CloisterOptions.DEFAULT_CLUSTER_PORT : options.getClusterPort();
    }
  }

  /**
   * The options this cluster manager was built from.
   *
   * @return a copy of the options
   */
  public CloisterOptions options() {
    return new CloisterOptions(options);
  }

  @Override
  public void init(Vertx vertx) {
    super.init(vertx);
    this.vertx = vertx;
  }

  @Override
  public void join(Completable<Void> promise) {
    vertx.<Void>executeBlocking(() -> {
      cacheManager.start();
      return null;
    }, false).onComplete((v, err) -> {
      if (err != null) {
        promise.fail(new IllegalStateException("Cannot join the cluster from " + binding.host().getHostAddress()
          + ":" + binding.port() + " (port range " + binding.portRange() + "): " + err.getMessage(), err));
      } else {
        super.join(promise);
      }
    });
  }

  @Override
  public void leave(Completable<Void> promise) {
    super.leave((v, err) -> vertx.<Void>executeBlocking(() -> {
      cacheManager.stop();
      return null;
    }, false).onComplete((v2, err2) -> promise.complete(null, err != null ? err : err2)));
  }
}
