package dev.cloister.faults;

import dev.cloister.impl.transport.CacheManagers;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.Cache;
import org.infinispan.manager.EmbeddedCacheManager;

/** Direct access to a node's replica of the members cache, to plant what a buggy or hostile peer could. */
final class Members {

  private Members() {
  }

  /**
   * The members cache as an untyped cache: any key, any value.
   *
   * @param vertx a clustered Vert.x running Cloister
   * @return the cache
   */
  static Cache<Object, Object> cache(Vertx vertx) {
    InfinispanClusterManager cm = (InfinispanClusterManager) ((VertxInternal) vertx).clusterManager();
    return ((EmbeddedCacheManager) cm.getCacheContainer()).getCache(CacheManagers.MEMBERS_CACHE);
  }

  /**
   * Writes an entry, replicated to every node.
   *
   * @param vertx a clustered Vert.x running Cloister
   * @param key the key
   * @param value the value
   */
  static void put(Vertx vertx, Object key, Object value) {
    cache(vertx).put(key, value);
  }
}
