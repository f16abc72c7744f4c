package dev.cloister;

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
   * For deployment by name: options come from the deployment's JSON config, then the
   * {@code CLOISTER_*} environment variables.
   */
  public CloisterVerticle() {
    this(null, null);
  }

  /**
   * Runs with {@code options}, as given.
   *
   * @param options the options
   */
  public CloisterVerticle(CloisterOptions options) {
    this(options, null);
  }

  /**
   * Runs with {@code options} and a listener that sees every transition.
   *
   * @param options the options, or {@code null} for the deployment config and environment
   * @param listener the listener, or {@code null}
   */
  public CloisterVerticle(CloisterOptions options, CloisterListener listener) {
    this.options = options == null ? null : new CloisterOptions(options);
    this.listener = listener;
  }

  @Override
  public Future<?> start() {
    CloisterOptions effective = options != null ? options
      : new CloisterOptions(config()).applyEnvironment(System.getenv());
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
