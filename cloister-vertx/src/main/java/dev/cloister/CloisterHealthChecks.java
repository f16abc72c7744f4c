package dev.cloister;

import dev.cloister.impl.health.HealthProcedures;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;

/**
 * Cloister's readiness and liveness as {@code vertx-health-check} procedures, to serve from your
 * own HTTP server, as vertx-infinispan's {@code ClusterHealthCheck} does for the cluster:
 * <pre>{@code
 * HealthChecks ready = CloisterHealthChecks.registerReadiness(HealthChecks.create(vertx), vertx);
 * HealthChecks live = CloisterHealthChecks.registerLiveness(HealthChecks.create(vertx), vertx);
 * router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
 * router.get("/live").handler(HealthCheckHandler.createWithHealthChecks(live));
 * }</pre>
 * Readiness is UP when the node is {@code READY} and quorate (or {@code NONODE}, a ring of one);
 * liveness is UP while a Cloister runs in the Vert.x instance, is not {@code STOPPED}, and its
 * event loop runs tasks. Both read the Cloister of the Vert.x instance when checked
 * ({@link Cloister#of}), so they may be registered before it starts; until then they are DOWN with
 * the reason in their data. Needs {@code vertx-health-check} on the class path.
 */
public final class CloisterHealthChecks {

  /** The name the procedures are registered under: {@value}. */
  public static final String NAME = "cloister";

  private CloisterHealthChecks() {
  }

  /**
   * The readiness procedure, to register under a name of your choice.
   *
   * @param vertx the Vert.x instance the node runs in
   * @return the procedure
   */
  public static Handler<Promise<Status>> readinessProcedure(Vertx vertx) {
    return HealthProcedures.readinessProcedure(vertx);
  }

  /**
   * The liveness procedure, to register under a name of your choice.
   *
   * @param vertx the Vert.x instance the node runs in
   * @return the procedure
   */
  public static Handler<Promise<Status>> livenessProcedure(Vertx vertx) {
    return HealthProcedures.livenessProcedure(vertx);
  }

  /**
   * Registers the readiness procedure under {@value #NAME}.
   *
   * @param checks your health checks (the readiness ones)
   * @param vertx the Vert.x instance the node runs in
   * @return {@code checks}
   */
  public static HealthChecks registerReadiness(HealthChecks checks, Vertx vertx) {
    return checks.register(NAME, HealthProcedures.timeoutMs(), readinessProcedure(vertx));
  }

  /**
   * Registers the liveness procedure under {@value #NAME}.
   *
   * @param checks your health checks (the liveness ones)
   * @param vertx the Vert.x instance the node runs in
   * @return {@code checks}
   */
  public static HealthChecks registerLiveness(HealthChecks checks, Vertx vertx) {
    return checks.register(NAME, HealthProcedures.timeoutMs(), livenessProcedure(vertx));
  }

  /**
   * Registers both into one set of checks, as {@code cloister/ready} and {@code cloister/live},
   * for a single health endpoint whose sub-paths Kubernetes probes separately (vertx-web's
   * {@code HealthCheckHandler} serves {@code <mount>/cloister/ready} and {@code <mount>/cloister/live}).
   *
   * @param checks your health checks
   * @param vertx the Vert.x instance the node runs in
   * @return {@code checks}
   */
  public static HealthChecks register(HealthChecks checks, Vertx vertx) {
    return checks.register(NAME + "/ready", HealthProcedures.timeoutMs(), readinessProcedure(vertx))
      .register(NAME + "/live", HealthProcedures.timeoutMs(), livenessProcedure(vertx));
  }
}
