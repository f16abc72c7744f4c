package dev.cloister.faults;

import dev.cloister.impl.transport.CacheManagers;
import dev.cloister.testing.NodeCaches;
import io.vertx.core.Vertx;
import org.infinispan.Cache;

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
    return NodeCaches.manager(vertx).getCache(CacheManagers.MEMBERS_CACHE);
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
