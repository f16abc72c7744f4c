package dev.cloister.impl.health;

import dev.cloister.Cloister;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;

/**
 * Answers the health and state paths over plain vertx-core HTTP: the readiness and liveness
 * outcomes of {@link HealthProcedures} (200 when UP, 503 when DOWN) and the node's state.
 *
 * <p>The HTTP endpoint routes to it only GET and HEAD requests on its three paths: unknown paths,
 * other methods and malformed queries are answered there, once for every path it serves.
 */
public final class HealthRequestHandler implements Handler<HttpServerRequest> {

  private static final String JSON = "application/json; charset=utf-8";

  private final Vertx vertx;
  private final String readyPath;
  private final String livePath;
  private final HealthChecks readiness;
  private final HealthChecks liveness;

  /**
   * Creates the handler for the node running in {@code vertx}.
   *
   * @param vertx the Vert.x instance whose Cloister is reported
   * @param readyPath the readiness path
   * @param livePath the liveness path
   */
  public HealthRequestHandler(Vertx vertx, String readyPath, String livePath) {
    this.vertx = vertx;
    this.readyPath = readyPath;
    this.livePath = livePath;
    this.readiness = HealthProcedures.readiness(vertx);
    this.liveness = HealthProcedures.liveness(vertx);
  }

  @Override
  public void handle(HttpServerRequest request) {
    String path = request.path();
    HealthChecks checks = path.equals(readyPath) ? readiness : path.equals(livePath) ? liveness : null;
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
