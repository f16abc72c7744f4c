package dev.cloister.observability;

import dev.cloister.CloisterHttpOptions;
import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every path of the HTTP endpoint against bad input, and its options, on a ring of one. */
class HttpEndpointTest {

  private static final List<String> PATHS = List.of("/health/ready", "/health/live", "/cloister/state", "/metrics",
    "/cloister/", "/cloister/rings", "/cloister/events", "/cloister/workers");

  private Vertx vertx;
  private Http http;

  @BeforeEach
  void node() {
    vertx = Vertx.vertx();
    http = new Http();
    await(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("solo"))));
  }

  @AfterEach
  void close() throws Exception {
    http.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private int serve(CloisterHttpOptions options) {
    CloisterHttpVerticle verticle = new CloisterHttpVerticle(options);
    await(vertx.deployVerticle(verticle));
    return verticle.actualPort();
  }

  @Test
  void badInputGetsA4xxOnEveryPathAndTheNodeCarriesOn() throws Exception {
    int port = serve(new CloisterHttpOptions().setHost("127.0.0.1").setPort(0));
    String before = http.get(port, "/cloister/state").body();

    for (String unknown : List.of("/", "/cloister/nope", "/metrics/", "/health", "/cloister/state/", "/%2e%2e/etc")) {
      Http.Answer a = http.get(port, unknown);
      assertEquals(404, a.status(), unknown + ": " + a.body());
      assertEquals(PATHS, new JsonObject(a.body()).getJsonArray("paths").getList(), unknown);
    }
    for (String path : PATHS) {
      for (HttpMethod method : List.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH)) {
        Http.Answer a = http.call(port, method, path);
        assertEquals(405, a.status(), method + " " + path);
        assertEquals("GET, HEAD", a.allow(), method + " " + path);
      }
      Http.Answer malformed = http.get(port, path + "?key=%zz&x=%E0%A4%A");
      assertEquals(400, malformed.status(), path + ": " + malformed.body());
      assertTrue(malformed.body().contains("Malformed query"), malformed.body());
      int huge = http.get(port, path + "?q=" + "x".repeat(64 * 1024)).status();
      assertTrue(huge >= 400 && huge < 500, path + " with a 64 KB query: " + huge);
    }
    Http.Answer post = await(vertxClient().request(HttpMethod.POST, port, "127.0.0.1", "/cloister/state")
      .compose(req -> req.send(Buffer.buffer(new byte[1024 * 1024])).compose(r -> r.body()
        .map(b -> new Http.Answer(r.statusCode(), null, r.getHeader("Allow"), b.toString())))));
    assertEquals(405, post.status(), "a 1 MB body on a GET path");

    // A query the endpoint does not read changes nothing; the node answers as before.
    assertEquals(200, http.get(port, "/health/ready?verbose=1&_=123").status());
    assertEquals(before.replaceAll("\"version\":\\d+", ""),
      http.get(port, "/cloister/state").body().replaceAll("\"version\":\\d+", ""));
    assertEquals("solo", dev.cloister.Cloister.of(vertx).whois("k"));
  }

  private HttpClient client;

  private HttpClient vertxClient() {
    if (client == null) {
      client = vertx.createHttpClient();
    }
    return client;
  }

  @Test
  void theDashboardItsDataAndItsEventStreamAnswer() {
    int port = serve(new CloisterHttpOptions().setHost("127.0.0.1").setPort(0));
    Http.Answer page = http.get(port, "/cloister/");
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"), page.contentType());
    // The SVG namespace is a name, not a resource: nothing is fetched from it.
    String html = page.body().replace("\"http://www.w3.org/2000/svg\"", "");
    assertFalse(html.contains("http://") || html.contains("https://") || html.contains("src="),
      "one self-contained page: nothing loaded from elsewhere");
    Http.Answer redirect = http.get(port, "/cloister");
    assertEquals(308, redirect.status());

    JsonObject rings = new JsonObject(http.get(port, "/cloister/rings").body());
    JsonObject group = rings.getJsonArray("groups").getJsonObject(0);
    assertEquals("cloister", group.getString("group"));
    assertEquals(1.0, group.getJsonArray("members").getJsonObject(0).getDouble("share"), 1e-9);
    assertEquals(720, group.getJsonArray("owners").size());

    // Each member's worker sets and the keys it runs: none here, but the node answers.
    JsonObject workers = new JsonObject(http.get(port, "/cloister/workers").body());
    assertEquals(new JsonObject().put("nodes", new io.vertx.core.json.JsonArray().add(new JsonObject()
      .put("node", "solo").put("sets", new JsonObject()))), workers);

    Promise<String> first = Promise.promise();
    vertxClient().request(HttpMethod.GET, port, "127.0.0.1", "/cloister/events").compose(req -> req.send())
      .onSuccess(resp -> {
        if (!resp.getHeader("Content-Type").startsWith("text/event-stream")) {
          first.tryFail("content type " + resp.getHeader("Content-Type"));
        }
        StringBuilder seen = new StringBuilder();
        resp.handler(chunk -> {
          seen.append(chunk);
          if (seen.indexOf("\"to\":\"NONODE\"") >= 0 && seen.indexOf("event: state") >= 0) {
            first.tryComplete(seen.toString());
            resp.request().connection().close();
          }
        });
      }).onFailure(first::tryFail);
    String events = await(first.future());
    assertTrue(events.contains("event: transition\ndata: {\"at\":"), events);
    assertTrue(events.indexOf("\"from\":\"DOWN\",\"to\":\"ASSEMBLING\"") < events.indexOf("\"to\":\"NONODE\""),
      "recent transitions, oldest first: " + events);
    assertTrue(events.contains("\"node\":\"solo\""), events);
  }

  @Test
  void withoutAPrometheusRegistryMetricsSay404AndWhy() {
    int port = serve(new CloisterHttpOptions().setHost("127.0.0.1").setPort(0));
    Http.Answer metrics = http.get(port, "/metrics");
    assertEquals(404, metrics.status());
    assertTrue(metrics.body().startsWith("No Prometheus registry"), metrics.body());
  }

  @Test
  void dashboardAndMetricsTurnOffAndOptionsAreCheckedNamingTheOption() {
    int port = serve(new CloisterHttpOptions().setHost("127.0.0.1").setPort(0).setDashboard(false).setMetrics(false));
    for (String off : List.of("/metrics", "/cloister/", "/cloister", "/cloister/rings", "/cloister/events")) {
      Http.Answer a = http.get(port, off);
      assertEquals(404, a.status(), off);
      assertEquals(List.of("/health/ready", "/health/live", "/cloister/state"),
        new JsonObject(a.body()).getJsonArray("paths").getList(), off);
    }
    assertEquals(200, http.get(port, "/health/ready").status());

    IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
      () -> new CloisterHttpOptions().setHost(" "));
    assertTrue(host.getMessage().contains("option host"), host.getMessage());
    for (JsonObject bad : List.of(new JsonObject().put("dashboard", "yes"), new JsonObject().put("metrics", 1),
      new JsonObject().put("port", "80"), new JsonObject().put("port", 1L << 33), new JsonObject().put("host", 7))) {
      String option = bad.fieldNames().iterator().next();
      Throwable t = assertThrows(AssertionError.class, () -> await(vertx.deployVerticle(new CloisterHttpVerticle(),
        new DeploymentOptions().setConfig(bad))));
      assertTrue(t.getMessage().contains("option " + option), t.getMessage());
    }
    CloisterHttpVerticle byConfig = new CloisterHttpVerticle();
    await(vertx.deployVerticle(byConfig, new DeploymentOptions().setConfig(new JsonObject()
      .put("host", "127.0.0.1").put("port", 0).put("dashboard", false).put("metrics", true))));
    assertEquals(404, http.get(byConfig.actualPort(), "/cloister/").status());
    assertEquals(404, http.get(byConfig.actualPort(), "/metrics").status());
    assertTrue(http.get(byConfig.actualPort(), "/metrics").body().startsWith("No Prometheus registry"));
  }
}
