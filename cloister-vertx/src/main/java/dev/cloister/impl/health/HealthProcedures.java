package dev.cloister.impl.health;

import dev.cloister.Cloister;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;

/**
 * Builds the readiness and liveness checks of the node running in a Vert.x instance, as
 * {@code vertx-health-check} procedures, so that any HTTP layer (ours, or vertx-web's
 * {@code HealthCheckHandler}) can serve them.
 */
public final class HealthProcedures {

  /** The name of the procedure that reads the node's state machine. */
  public static final String CLOISTER = "cloister";
  /** The name of the procedure that proves the event loop still runs tasks. */
  public static final String EVENT_LOOP = "event-loop";

  /** The message of every check while no Cloister runs in the Vert.x instance. */
  public static final String NO_CLOISTER = "No Cloister is running in this Vert.x instance (not started yet, or stopped)";

  // Far above any probe's own timeout: a check that times out here only hides the real cause.
  private static final long PROCEDURE_TIMEOUT_MS = 10_000;

  private HealthProcedures() {
  }

  /**
   * Readiness: the node is {@code READY} and quorate, or {@code NONODE} (a ring of one that
   * needs no one else).
   *
   * @param vertx the Vert.x instance the node runs in
   * @return new health checks with one procedure, {@value #CLOISTER}
   */
  public static HealthChecks readiness(Vertx vertx) {
    return HealthChecks.create(vertx).register(CLOISTER, PROCEDURE_TIMEOUT_MS, p -> ready(vertx, p));
  }

  /**
   * Liveness: a Cloister runs and its state machine is not {@code STOPPED}, and the event loop
   * answers. Waiting for consensus is alive: restarting such a node would only delay the quorum.
   *
   * @param vertx the Vert.x instance the node runs in
   * @return new health checks with the procedures {@value #CLOISTER} and {@value #EVENT_LOOP}
   */
  public static HealthChecks liveness(Vertx vertx) {
    return HealthChecks.create(vertx)
      .register(CLOISTER, PROCEDURE_TIMEOUT_MS, p -> live(vertx, p))
      // A task that goes through the loop shows it is not stuck, not merely that a thread exists.
      .register(EVENT_LOOP, PROCEDURE_TIMEOUT_MS, p -> vertx.runOnContext(v -> p.tryComplete(Status.OK())));
  }

  /**
   * Whether a state counts as ready: {@code READY} and quorate, or {@code NONODE}.
   *
   * @param state a node's state
   * @return whether the node may receive traffic
   */
  public static boolean isReady(CloisterState state) {
    return state.getStatus() == CloisterStatus.NONODE
      || (state.getStatus() == CloisterStatus.READY && state.isQuorate());
  }

  /**
   * The Cloister running in {@code vertx}, or {@code null}.
   *
   * @param vertx the Vert.x instance
   * @return its Cloister, or {@code null} when none runs (yet)
   */
  public static Cloister running(Vertx vertx) {
    try {
      return Cloister.of(vertx);
    } catch (IllegalStateException e) {
      // Normal before the CloisterVerticle started and after it stopped: not an error to log.
      return null;
    }
  }

  /**
   * The readiness procedure alone, for any {@code HealthChecks}.
   *
   * @param vertx the Vert.x instance the node runs in
   * @return completes its promise with UP when ready, DOWN with the reason otherwise
   */
  public static Handler<Promise<Status>> readinessProcedure(Vertx vertx) {
    return p -> ready(vertx, p);
  }

  /**
   * The liveness procedure alone, for any {@code HealthChecks}: it completes from a task run on
   * the event loop, so a stuck loop shows as a timeout.
   *
   * @param vertx the Vert.x instance the node runs in
   * @return completes its promise with UP while a Cloister runs and is not {@code STOPPED}
   */
  public static Handler<Promise<Status>> livenessProcedure(Vertx vertx) {
    return p -> vertx.runOnContext(v -> live(vertx, p));
  }

  /**
   * The timeout of each procedure, in ms: far above any probe's own timeout.
   *
   * @return the timeout
   */
  public static long timeoutMs() {
    return PROCEDURE_TIMEOUT_MS;
  }

  private static void ready(Vertx vertx, Promise<Status> promise) {
    Cloister cloister = running(vertx);
    if (cloister == null) {
      promise.complete(Status.KO(new JsonObject().put("error", NO_CLOISTER)));
      return;
    }
    CloisterState state = cloister.state();
    promise.complete(new Status().setOk(isReady(state)).setData(summary(state)));
  }

  private static void live(Vertx vertx, Promise<Status> promise) {
    Cloister cloister = running(vertx);
    if (cloister == null) {
      promise.complete(Status.KO(new JsonObject().put("error", NO_CLOISTER)));
      return;
    }
    CloisterState state = cloister.state();
    JsonObject data = new JsonObject().put("status", state.getStatus().name()).put("node", state.getNode());
    promise.complete(new Status().setOk(state.getStatus() != CloisterStatus.STOPPED).setData(data));
  }

  // Enough to see from a probe's output why a node is not ready, without the whole state.
  private static JsonObject summary(CloisterState state) {
    return new JsonObject()
      .put("status", state.getStatus().name())
      .put("quorate", state.isQuorate())
      .put("node", state.getNode())
      .put("consensus", state.getConsensus())
      .put("members", state.memberNames().size())
      .put("missing", new JsonArray(state.getMissing()));
  }
}
