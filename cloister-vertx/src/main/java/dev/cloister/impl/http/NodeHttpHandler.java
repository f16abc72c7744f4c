package dev.cloister.impl.http;

import dev.cloister.CallOptions;
import dev.cloister.Cloister;
import dev.cloister.NodeReply;
import dev.cloister.impl.CloisterImpl;
import dev.cloister.impl.health.HealthProcedures;
import dev.cloister.impl.health.HealthRequestHandler;
import dev.cloister.impl.metrics.MetricsRegistries;
import dev.cloister.impl.metrics.PrometheusText;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every path of the node's HTTP endpoint, over plain vertx-core HTTP: health and state (through
 * {@link HealthRequestHandler}), Prometheus metrics, the dashboard page, its rings data and its
 * event stream. Input is checked before anything else: unknown path 404, other method than GET
 * or HEAD 405, malformed query 400; nothing a client sends reaches the node.
 */
public final class NodeHttpHandler implements Handler<HttpServerRequest> {

  private static final Logger log = LoggerFactory.getLogger(NodeHttpHandler.class);

  /** Paths kept in step with {@code CloisterHttpVerticle}'s constants. */
  static final String READY = "/health/ready";
  static final String LIVE = "/health/live";
  static final String STATE = "/cloister/state";
  static final String METRICS = "/metrics";
  static final String DASHBOARD = "/cloister/";
  static final String RINGS = "/cloister/rings";
  static final String EVENTS = "/cloister/events";
  static final String WORKERS = "/cloister/workers";
  /** How long the workers path waits for each node's answer, ms. */
  static final long WORKERS_TIMEOUT = 1000;

  private static final String JSON = "application/json; charset=utf-8";
  private static final String ALLOWED = "GET, HEAD";
  private static final String PAGE = page();

  private final Vertx vertx;
  private final boolean dashboard;
  private final boolean metrics;
  private final HealthRequestHandler health;
  private final EventStreams events;
  private final List<String> paths = new ArrayList<>();
  /** The last rings laid out, reused while the rings do not change; replaced whole. */
  private volatile Laid laid;

  private record Laid(Rings rings, JsonObject layout) {
  }

  /**
   * The handler of one HTTP server.
   *
   * @param vertx the Vert.x whose Cloister is served
   * @param dashboard whether to serve the dashboard, its rings and its events
   * @param metrics whether to serve {@code /metrics}
   */
  public NodeHttpHandler(Vertx vertx, boolean dashboard, boolean metrics) {
    this.vertx = vertx;
    this.dashboard = dashboard;
    this.metrics = metrics;
    this.health = new HealthRequestHandler(vertx, READY, LIVE);
    this.events = new EventStreams(vertx);
    paths.addAll(List.of(READY, LIVE, STATE));
    if (metrics) {
      paths.add(METRICS);
    }
    if (dashboard) {
      paths.addAll(List.of(DASHBOARD, RINGS, EVENTS, WORKERS));
    }
  }

  @Override
  public void handle(HttpServerRequest request) {
    try {
      route(request);
    } catch (RuntimeException e) {
      // A bug here must cost one request, never the server or the node.
      log.warn("HTTP " + request.method() + " " + request.path() + " failed: " + e, e);
      send(request, 500, new JsonObject().put("error", "Internal error: " + e.getMessage()));
    }
  }

  private void route(HttpServerRequest request) {
    String path = request.path();
    boolean dashboardRedirect = dashboard && "/cloister".equals(path);
    if (path == null || (!paths.contains(path) && !dashboardRedirect)) {
      send(request, 404, new JsonObject().put("error", "Not found: " + path).put("paths", new JsonArray(paths)));
      return;
    }
    // HEAD is allowed because some load balancers probe with it; Vert.x drops the body itself.
    if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      request.response().putHeader(HttpHeaders.ALLOW, ALLOWED);
      send(request, 405, new JsonObject().put("error", "Method " + request.method() + " not allowed on " + path
        + "; allowed: " + ALLOWED));
      return;
    }
    try {
      // No path reads a parameter; decoding still rejects what no client should send.
      request.params();
    } catch (RuntimeException e) {
      send(request, 400, new JsonObject().put("error", "Malformed query: " + e.getMessage()));
      return;
    }
    switch (path) {
      case "/cloister" -> request.response().setStatusCode(308).putHeader(HttpHeaders.LOCATION, DASHBOARD).end();
      case METRICS -> metrics(request);
      case DASHBOARD -> request.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        // The page loads nothing from elsewhere; say so to the browser too.
        .putHeader("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
          + "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
        .putHeader("X-Content-Type-Options", "nosniff")
        .end(PAGE);
      case RINGS -> rings(request);
      case WORKERS -> workers(request);
      case EVENTS -> events.open(request);
      default -> health.handle(request);
    }
  }

  private void metrics(HttpServerRequest request) {
    if (!MetricsRegistries.prometheusPresent()) {
      sendText(request, 404, "No Prometheus registry: add vertx-micrometer-metrics and micrometer-registry-prometheus"
        + " and enable Prometheus in MicrometerMetricsOptions\n");
      return;
    }
    String text = PrometheusText.scrape(vertx);
    if (text == null) {
      sendText(request, 404, "No Prometheus registry: this Vert.x reports into none; enable"
        + " MicrometerMetricsOptions with VertxPrometheusOptions (or a PrometheusMeterRegistry)\n");
      return;
    }
    request.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, PrometheusText.CONTENT_TYPE)
      .end(text);
  }

  private void rings(HttpServerRequest request) {
    Cloister cloister = HealthProcedures.running(vertx);
    if (!(cloister instanceof CloisterImpl node)) {
      send(request, 503, new JsonObject().put("error", HealthProcedures.NO_CLOISTER));
      return;
    }
    Rings rings = node.rings();
    Laid last = laid;
    if (last != null && last.rings() == rings) {
      send(request, 200, last.layout());
      return;
    }
    // A ring of many members has millions of points: lay it out off the event loop.
    vertx.executeBlocking(() -> RingLayout.of(rings), false).onComplete((layout, err) -> {
      if (err != null) {
        send(request, 500, new JsonObject().put("error", "Cannot lay out the rings: " + err.getMessage()));
      } else {
        laid = new Laid(rings, layout);
        send(request, 200, layout);
      }
    });
  }

  /**
   * The worker sets of every member and the keys each runs there: {@code {"nodes": [{"node",
   * "sets": {name: running}}, ...]}}, a member that did not answer within a second with
   * {@code "error"} instead of {@code "sets"}.
   */
  private void workers(HttpServerRequest request) {
    Cloister cloister = HealthProcedures.running(vertx);
    if (!(cloister instanceof CloisterImpl node)) {
      send(request, 503, new JsonObject().put("error", HealthProcedures.NO_CLOISTER));
      return;
    }
    List<String> members = node.state().memberNames();
    if (members.isEmpty()) {
      send(request, 200, new JsonObject().put("nodes", new JsonArray()));
      return;
    }
    node.multicall(members, node.workSetsAddress(), new JsonObject(), new CallOptions().setTimeout(WORKERS_TIMEOUT))
      .onComplete((replies, err) -> {
        if (err != null) {
          send(request, 503, new JsonObject().put("error", "Cannot ask the members: " + err.getMessage()));
          return;
        }
        JsonArray nodes = new JsonArray();
        for (NodeReply r : replies) {
          JsonObject n = new JsonObject().put("node", r.getNode());
          if (r.isSucceeded() && r.getBody() instanceof JsonObject sets) {
            n.put("sets", sets);
          } else {
            n.put("error", r.isSucceeded() ? "unexpected answer" : r.getFailureMessage());
          }
          nodes.add(n);
        }
        send(request, 200, new JsonObject().put("nodes", nodes));
      });
  }

  static void send(HttpServerRequest request, int status, JsonObject body) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }

  private static void sendText(HttpServerRequest request, int status, String text) {
    request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
      .end(text);
  }

  private static String page() {
    try (InputStream in = NodeHttpHandler.class.getResourceAsStream("dashboard.html")) {
      if (in == null) {
        throw new IllegalStateException("dashboard.html is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
