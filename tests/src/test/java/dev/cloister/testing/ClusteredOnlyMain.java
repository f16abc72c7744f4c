package dev.cloister.testing;

import dev.cloister.CloisterClusterManager;
import io.vertx.core.Vertx;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.CacheStopped;
import org.infinispan.notifications.cachemanagerlistener.event.CacheStoppedEvent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A JVM whose Vert.x is clustered with {@code CloisterClusterManager} (options from the
 * {@code CLOISTER_*} environment) and runs no Cloister: it prints {@code joined} once in the
 * cluster, and {@code cache stopped <name>} for each cache Infinispan stops, then waits to be ended.
 */
public final class ClusteredOnlyMain {

  /** The line printed once the node joined. */
  public static final String JOINED = "joined";
  /** The prefix of the line printed when a cache stops. */
  public static final String CACHE_STOPPED = "cache stopped ";

  private ClusteredOnlyMain() {
  }

  /** Prints the caches Infinispan stops. */
  @Listener
  public static final class Stops {
    /** @param e a stopped cache */
    @CacheStopped
    public void stopped(CacheStoppedEvent e) {
      System.out.println(CACHE_STOPPED + e.getCacheName());
    }
  }

  /**
   * Joins and waits.
   *
   * @param args unused
   * @throws Exception when the node cannot join
   */
  public static void main(String[] args) throws Exception {
    CloisterClusterManager manager = new CloisterClusterManager();
    Vertx.builder().withClusterManager(manager).buildClustered().await(60, TimeUnit.SECONDS);
    ((EmbeddedCacheManager) manager.getCacheContainer()).addListener(new Stops());
    System.out.println(JOINED + " " + manager.getNodeId());
    new CountDownLatch(1).await();
  }
}
