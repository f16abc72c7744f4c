package dev.cloister.impl.health;

import dev.cloister.Cloister;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;

/**
 * Answers the health and state paths over plain vertx-core HTTP: the readiness and liveness
 * outcomes of {@link HealthProcedures} (200 when UP, 503 when DOWN) and the node's state.
 */
public final class HealthRequestHandler implements Handler<HttpServerRequest> {

  private static final String JSON = "application/json; charset=utf-8";
  private static final String ALLOWED = "GET, HEAD";

  private final Vertx vertx;
  private final String readyPath;
  private final String livePath;
  private final String statePath;
  private final HealthChecks readiness;
  private final HealthChecks liveness;

  /**
   * Creates the handler for the node running in {@code vertx}.
   *
   * @param vertx the Vert.x instance whose Cloister is reported
   * @param readyPath the readiness path
   * @param livePath the liveness path
   * @param statePath the state path
   */
  public HealthRequestHandler(Vertx vertx, String readyPath, String livePath, String statePath) {
    this.vertx = vertx;
    this.readyPath = readyPath;
    this.livePath = livePath;
    this.statePath = statePath;
    this.readiness = HealthProcedures.readiness(vertx);
    this.liveness = HealthProcedures.liveness(vertx);
  }

  @Override
  public void handle(HttpServerRequest request) {
    String path = request.path();
    HealthChecks checks = path.equals(readyPath) ? readiness : path.equals(livePath) ? liveness : null;
    if (checks == null && !path.equals(statePath)) {
      send(request, 404, new JsonObject().put("error", "Not found: " + path)
        .put("paths", new JsonArray().add(readyPath).add(livePath).add(statePath)));
      return;
    }
    // HEAD is allowed because some load balancers probe with it; Vert.x drops the body itself.
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      request.response().putHeader(HttpHeaders.ALLOW, ALLOWED);
      send(request, 405, new JsonObject().put("error", "Method " + request.method() + " not allowed on " + path
        + "; allowed: " + ALLOWED));
      return;
    }
    if (checks != null) {
      checks.checkStatus().onComplete((result, err) -> {
        if (err != null) {
          send(request, 503, new JsonObject().put("status", "DOWN").put("outcome", "DOWN")
            .put("error", String.valueOf(err.getMessage())));
        } else {
          send(request, CheckResult.isUp(result) ? 200 : 503, result.toJson());
        }
      });
      return;
    }
    Cloister cloister = HealthProcedures.running(vertx);
    if (cloister == null) {
      send(request, 503, new JsonObject().put("error", HealthProcedures.NO_CLOISTER));
    } else {
      send(request, 200, cloister.state().toJson());
    }
  }

  private static void send(HttpServerRequest request, int status, JsonObject body) {
    if (request.response().ended() || request.response().closed()) {
      // The prober gave up while the checks ran: nothing to answer.
      return;
    }
    request.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
      // Probes must see the state now, never a cached answer from an intermediary.
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }
}
