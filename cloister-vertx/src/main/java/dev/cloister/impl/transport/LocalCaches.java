package dev.cloister.impl.transport;

import io.vertx.core.Vertx;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The caches of a Vert.x that is not clustered (a node of one, {@code NONODE}): one local
 * Infinispan cache manager per Vert.x, made when a worker set first asks for it and stopped when the
 * node's Cloister stops, after its worker sets closed (a Vert.x close hook would run before them).
 * While the Cloister runs, a set closed and started again finds its keys.
 */
public final class LocalCaches {

  private static final Map<Vertx, EmbeddedCacheManager> MANAGERS = new ConcurrentHashMap<>();

  private LocalCaches() {
  }

  /**
   * The local cache manager of {@code vertx}, started on the first call. Blocks (call it on a worker
   * thread).
   *
   * @param vertx a Vert.x that is not clustered
   * @return its cache manager
   * @throws IllegalStateException when {@code vertx} is clustered: its caches are the cluster's
   */
  public static EmbeddedCacheManager of(Vertx vertx) {
    if (vertx.isClustered()) {
      throw new IllegalStateException("A clustered Vert.x keeps its caches in its cluster manager");
    }
    return MANAGERS.computeIfAbsent(vertx, LocalCaches::start);
  }

  private static EmbeddedCacheManager start(Vertx vertx) {
    GlobalConfigurationBuilder global = new GlobalConfigurationBuilder().nonClusteredDefault();
    global.classLoader(LocalCaches.class.getClassLoader());
    global.cacheManagerName("cloister-local-" + Integer.toHexString(System.identityHashCode(vertx)));
    global.jmx().enabled(false);
    CacheManagers.noThreadPoolBeans();
    // Stopped with the node's Cloister (see stop), as a cluster manager's caches are with Vert.x.
    global.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER);
    return new DefaultCacheManager(global.build());
  }

  /**
   * Stops the local cache manager of {@code vertx}, if it has one: its caches and their keys are
   * gone. Blocks.
   *
   * @param vertx a Vert.x that is not clustered
   */
  public static void stop(Vertx vertx) {
    EmbeddedCacheManager manager = MANAGERS.remove(vertx);
    if (manager != null) {
      manager.stop();
    }
  }
}
