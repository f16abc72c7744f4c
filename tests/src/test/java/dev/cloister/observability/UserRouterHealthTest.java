package dev.cloister.observability;

import dev.cloister.CloisterHealthChecks;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application serves Cloister's readiness and liveness from its own vertx-web router, next to
 * its own checks, with no second HTTP server.
 */
class UserRouterHealthTest {

  @Test
  void theProceduresMountOnAUsersRouterBesideItsOwnChecks() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (Http http = new Http()) {
      HealthChecks ready = CloisterHealthChecks.registerReadiness(HealthChecks.create(vertx), vertx)
        .register("database", p -> p.complete(io.vertx.ext.healthchecks.Status.OK()));
      HealthChecks live = CloisterHealthChecks.registerLiveness(HealthChecks.create(vertx), vertx);
      HealthChecks both = CloisterHealthChecks.register(HealthChecks.create(vertx), vertx);
      Router router = Router.router(vertx);
      router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(ready));
      router.get("/live").handler(HealthCheckHandler.createWithHealthChecks(live));
      router.get("/health*").handler(HealthCheckHandler.createWithHealthChecks(both));
      router.get("/hello").handler(rc -> rc.end("hello"));
      HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
      int port = server.actualPort();

      // Before the node runs: DOWN, saying why, while the application's own routes answer.
      Http.Answer notYet = http.get(port, "/ready");
      assertEquals(503, notYet.status(), notYet.body());
      assertTrue(notYet.body().contains("No Cloister is running"), notYet.body());
      assertEquals(503, http.get(port, "/live").status());
      assertEquals("hello", http.get(port, "/hello").body());

      String id = await(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("solo"))));
      Http.Answer up = http.get(port, "/ready");
      assertEquals(200, up.status(), up.body());
      JsonObject body = new JsonObject(up.body());
      assertEquals("UP", body.getString("outcome"));
      JsonObject cloister = body.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("id").equals(CloisterHealthChecks.NAME)).findFirst().orElseThrow();
      assertEquals("NONODE", cloister.getJsonObject("data").getString("status"), up.body());
      assertEquals(200, http.get(port, "/live").status());
      assertEquals(200, http.get(port, "/health/cloister/ready").status(), "one endpoint, probed per sub-path");
      assertEquals(200, http.get(port, "/health/cloister/live").status());

      await(vertx.undeploy(id));
      assertEquals(503, http.get(port, "/live").status(), "a stopped node is not alive");
      assertEquals(503, http.get(port, "/health/cloister/ready").status());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
