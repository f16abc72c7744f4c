package dev.cloister.impl.spi;

import dev.cloister.CloisterClusterManager;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;

/**
 * Makes Cloister the cluster manager of a clustered Vert.x that was given none: Vert.x finds this
 * class through {@code META-INF/services/io.vertx.core.spi.VertxServiceProvider}, so
 * {@code Vertx.builder().buildClustered()} and {@code VertxApplication --cluster} run on a
 * {@link CloisterClusterManager} configured by the {@code CLOISTER_*} environment variables.
 *
 * <p>Vert.x instantiates every service provider for every Vert.x instance it builds, clustered or
 * not; the cluster manager is therefore set only when the instance has none yet, never for one
 * whose manager the application named, and setting it costs nothing: it reads the environment and
 * builds its transport only when a clustered Vert.x joins, so a plain {@code Vertx.vertx()} is
 * neither slowed nor failed by Cloister on the class path. When vertx-infinispan's own provider comes first on the
 * class path, its manager is taken instead: put the Cloister jar before vertx-infinispan's.
 */
public final class CloisterServiceProvider implements VertxServiceProvider {

  /** Creates the provider; Vert.x's service loading does. */
  public CloisterServiceProvider() {
  }

  /**
   * Sets a {@link CloisterClusterManager} read from the environment, unless a manager is set.
   *
   * @param bootstrap the Vert.x being built
   */
  @Override
  public void init(VertxBootstrap bootstrap) {
    if (bootstrap.clusterManager() == null) {
      bootstrap.clusterManager(new CloisterClusterManager());
    }
  }
}
