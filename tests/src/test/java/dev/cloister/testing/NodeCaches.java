package dev.cloister.testing;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;

/** A clustered node's Infinispan, for tests that look at or plant what its replicas hold. */
public final class NodeCaches {

  private NodeCaches() {
  }

  /**
   * The cache manager under a clustered Vert.x.
   *
   * @param vertx a Vert.x clustered by Cloister's (or vertx-infinispan's) cluster manager
   * @return its cache manager
   */
  public static EmbeddedCacheManager manager(Vertx vertx) {
    return (EmbeddedCacheManager) ((InfinispanClusterManager) ((VertxInternal) vertx).clusterManager())
      .getCacheContainer();
  }
}
