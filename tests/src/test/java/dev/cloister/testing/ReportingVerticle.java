package dev.cloister.testing;

import dev.cloister.Cloister;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.VertxInternal;

/**
 * A user's main verticle as {@code VertxApplication} deploys it by name: deploys Cloister (options
 * from the {@code CLOISTER_*} environment), then prints which cluster manager this Vert.x runs on
 * then the state at READY, for a test that reads the process's output.
 */
public class ReportingVerticle extends VerticleBase {

  /** The prefix of the lines this verticle prints. */
  public static final String PREFIX = "report ";

  @Override
  public Future<?> start() {
    System.out.println(PREFIX + "clusterManager " + ((VertxInternal) vertx).clusterManager().getClass().getName());
    return vertx.deployVerticle(new CloisterVerticle())
      .onSuccess(id -> System.out.println(PREFIX + "state " + Cloister.of(vertx).state().toJson().encode()));
  }
}
