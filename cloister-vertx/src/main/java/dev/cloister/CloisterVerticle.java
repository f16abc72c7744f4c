package dev.cloister;

import dev.cloister.impl.CloisterImpl;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Runs a {@link Cloister} as a verticle: the deployment completes only when the node is
 * {@code READY} (or {@code NONODE}), and an undeployment leaves gracefully. Deploy the
 * application's own verticles after it, as Cloister's start phase does.
 */
public class CloisterVerticle extends VerticleBase {

  private final CloisterOptions options;
  private final CloisterListener listener;
  private Cloister cloister;

  /**
   * For deployment by name. Options, each later source overriding the earlier ones: those of the
   * {@link CloisterClusterManager} the Vert.x runs on (else the defaults), then the deployment's
   * JSON config, then the {@code CLOISTER_*} environment variables. An option the cluster manager
   * uses too (app, sentry, clusterHost, ...) that ends up differing from the manager's fails the
   * deployment, naming it and both values.
   */
  public CloisterVerticle() {
    this(null, null);
  }

  /**
   * Runs with {@code options}, as given; on a {@link CloisterClusterManager}, the options both use
   * must agree with the manager's, or the deployment fails naming the first that differs.
   *
   * @param options the options
   */
  public CloisterVerticle(CloisterOptions options) {
    this(options, null);
  }

  /**
   * Runs with {@code options} and a listener that sees every transition.
   *
   * @param options the options, or {@code null} for the cluster manager's, the deployment config
   *     and the environment, as for the no-argument constructor
   * @param listener the listener, or {@code null}
   */
  public CloisterVerticle(CloisterOptions options, CloisterListener listener) {
    this.options = options == null ? null : new CloisterOptions(options);
    this.listener = listener;
  }

  @Override
  public Future<?> start() {
    CloisterOptions effective = options != null ? options
      : CloisterImpl.deploymentOptions(vertx, config(), System.getenv());
    cloister = Cloister.create(vertx, effective);
    if (listener != null) {
      cloister.listener(listener);
    }
    return cloister.start();
  }

  @Override
  public Future<?> stop() {
    return cloister == null ? Future.succeededFuture() : cloister.close();
  }

  /**
   * The Cloister this verticle runs.
   *
   * @return the Cloister, or {@code null} before the verticle started
   */
  public Cloister cloister() {
    return cloister;
  }
}
