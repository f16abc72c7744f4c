package dev.cloister.health;

import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.testing.Eventually;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP endpoint over real loopback HTTP, against real nodes. */
class HealthEndpointTest {

  /** One answer: status, Allow header and body. */
  record Answer(int status, String allow, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Vertx clientVertx;
  private HttpClient client;

  @BeforeEach
  void client() {
    clientVertx = Vertx.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterEach
  void closeClient() throws Exception {
    clientVertx.close().await(30, TimeUnit.SECONDS);
  }

  private Answer call(int port, HttpMethod method, String path) {
    // Nested so that the body handler is set as the response arrives: chained after send(), from
    // a non-Vert.x thread, the response could end before body() was asked for, and hang.
    return await(client.request(method, port, "127.0.0.1", path)
      .compose(req -> req.send()
        .compose((HttpClientResponse resp) -> resp.body()
          .map(b -> new Answer(resp.statusCode(), resp.getHeader("Allow"), b.toString())))));
  }

  private Answer get(int port, String path) {
    return call(port, HttpMethod.GET, path);
  }

  /** Asks until an answer satisfies {@code done}; the test fails after 60 s, naming the last answer. */
  private Answer until(int port, String path, Predicate<Answer> done) {
    AtomicReference<Answer> last = new AtomicReference<>();
    Eventually.eventually("an expected answer on " + path, () -> {
      last.set(get(port, path));
      return done.test(last.get());
    }, last::get);
    return last.get();
  }

  private static int serve(Vertx vertx) {
    CloisterHttpVerticle http = new CloisterHttpVerticle("127.0.0.1", 0);
    await(vertx.deployVerticle(http));
    return http.actualPort();
  }

  @Test
  void withoutCloisterEveryPathSays503AndWhy() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = serve(vertx);

      Answer ready = get(port, CloisterHttpVerticle.READY_PATH);
      assertEquals(503, ready.status());
      assertEquals("DOWN", ready.json().getString("status"));
      assertTrue(ready.body().contains("No Cloister is running"), ready.body());

      Answer live = get(port, CloisterHttpVerticle.LIVE_PATH);
      assertEquals(503, live.status());
      assertTrue(live.body().contains("No Cloister is running"), live.body());

      Answer state = get(port, CloisterHttpVerticle.STATE_PATH);
      assertEquals(503, state.status());
      assertTrue(state.json().getString("error").startsWith("No Cloister is running"), state.body());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void unknownPathsAre404AndOtherMethods405() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = serve(vertx);

      Answer missing = get(port, "/health/nope");
      assertEquals(404, missing.status());
      assertEquals(new JsonArray().add("/health/ready").add("/health/live").add("/cloister/state").add("/metrics")
        .add("/cloister/").add("/cloister/rings").add("/cloister/events").add("/cloister/workers"), missing.json().getJsonArray("paths"));
      assertEquals(404, get(port, "/").status());

      for (String path : List.of(CloisterHttpVerticle.READY_PATH, CloisterHttpVerticle.LIVE_PATH,
        CloisterHttpVerticle.STATE_PATH)) {
        Answer post = call(port, HttpMethod.POST, path);
        assertEquals(405, post.status(), path);
        assertEquals("GET, HEAD", post.allow(), path);
        assertEquals(405, call(port, HttpMethod.DELETE, path).status(), path);
      }
      // A query string does not change the path.
      assertEquals(503, get(port, CloisterHttpVerticle.READY_PATH + "?verbose=1").status());
      Answer head = call(port, HttpMethod.HEAD, CloisterHttpVerticle.READY_PATH);
      assertEquals(503, head.status());
      assertEquals("", head.body());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRingOfOneIsReadyAndStopsBeingAliveWhenUndeployed() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = serve(vertx);
      String id = await(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("solo"))));

      Answer ready = get(port, CloisterHttpVerticle.READY_PATH);
      assertEquals(200, ready.status(), ready.body());
      assertEquals("UP", ready.json().getString("outcome"));
      JsonObject check = ready.json().getJsonArray("checks").getJsonObject(0);
      assertEquals("cloister", check.getString("id"));
      assertEquals("NONODE", check.getJsonObject("data").getString("status"));

      Answer live = get(port, CloisterHttpVerticle.LIVE_PATH);
      assertEquals(200, live.status(), live.body());

      Answer state = get(port, CloisterHttpVerticle.STATE_PATH);
      assertEquals(200, state.status());
      assertEquals("NONODE", state.json().getString("status"));
      assertEquals("solo", state.json().getString("node"));

      await(vertx.undeploy(id));
      assertEquals(503, get(port, CloisterHttpVerticle.LIVE_PATH).status());
      assertEquals(503, get(port, CloisterHttpVerticle.READY_PATH).status());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void twoNodesConsensusTwoAreNotReadyUntilTheSecondJoins() throws Exception {
    try (InJvmCluster cluster = new InJvmCluster(2)) {
      int[] port = new int[1];
      InJvmCluster.Node first = cluster.start(0, cluster.options(0, 2), n -> port[0] = serve(n.vertx));

      // Alone with consensus 2: the node runs (alive) but must not receive traffic (not ready).
      until(port[0], CloisterHttpVerticle.STATE_PATH, a -> a.status() == 200);
      assertFalse(first.deployment.isComplete());
      Answer ready = get(port[0], CloisterHttpVerticle.READY_PATH);
      assertEquals(503, ready.status(), ready.body());
      assertEquals("DOWN", ready.json().getString("outcome"));
      JsonObject data = ready.json().getJsonArray("checks").getJsonObject(0).getJsonObject("data");
      assertFalse(data.getBoolean("quorate"), ready.body());
      assertEquals(2, data.getInteger("consensus"));
      Answer live = get(port[0], CloisterHttpVerticle.LIVE_PATH);
      assertEquals(200, live.status(), live.body());
      assertEquals(2, live.json().getJsonArray("checks").size());

      InJvmCluster.Node second = cluster.start(1, cluster.options(1, 2));
      await(first.deployment);
      await(second.deployment);

      Answer nowReady = until(port[0], CloisterHttpVerticle.READY_PATH, a -> a.status() == 200);
      assertEquals("UP", nowReady.json().getString("status"));
      JsonObject state = get(port[0], CloisterHttpVerticle.STATE_PATH).json();
      assertEquals("READY", state.getString("status"));
      assertTrue(state.getBoolean("quorate"));
      assertEquals("node0", state.getString("node"));
      assertEquals(new JsonArray().add("node0").add("node1"), state.getJsonObject("groups").getJsonArray("cloister"));
    }
  }

  @Test
  void configuredByNameRejectsUnknownKeysAndBadPorts() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Throwable unknown = assertThrows(AssertionError.class, () -> await(vertx.deployVerticle(
        new CloisterHttpVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("prot", 8080)))));
      assertTrue(unknown.getMessage().contains("Unknown CloisterHttpVerticle option 'prot'"), unknown.getMessage());
      Throwable bad = assertThrows(AssertionError.class, () -> await(vertx.deployVerticle(
        new CloisterHttpVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("port", 70000)))));
      assertTrue(bad.getMessage().contains("70000"), bad.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new CloisterHttpVerticle("127.0.0.1", -2));

      CloisterHttpVerticle byConfig = new CloisterHttpVerticle();
      await(vertx.deployVerticle(byConfig,
        new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0))));
      assertTrue(byConfig.actualPort() > 0);
      assertEquals(503, get(byConfig.actualPort(), CloisterHttpVerticle.READY_PATH).status());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
