package dev.cloister;

import dev.cloister.impl.http.NodeHttpHandler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/**
 * An optional HTTP endpoint for orchestrators and operators: readiness and liveness through
 * {@code vertx-health-check}, the node's {@link CloisterState} as JSON, Prometheus metrics and a
 * live dashboard of the cluster.
 *
 * <table>
 *   <caption>Paths (GET or HEAD; other methods get 405, other paths 404, a malformed query 400)</caption>
 *   <tr><td>{@value #READY_PATH}</td><td>200 UP when {@code READY} and quorate, or {@code NONODE};
 *     else 503 DOWN</td></tr>
 *   <tr><td>{@value #LIVE_PATH}</td><td>200 UP while a Cloister runs, is not {@code STOPPED}, and
 *     the event loop answers; else 503 DOWN</td></tr>
 *   <tr><td>{@value #STATE_PATH}</td><td>200 with the state JSON; 503 while no Cloister runs</td></tr>
 *   <tr><td>{@value #METRICS_PATH}</td><td>the Prometheus text format of the registry this Vert.x
 *     reports into (vertx-micrometer-metrics with a Prometheus registry); 404 saying why when there is
 *     none. Off with {@link CloisterHttpOptions#setMetrics}</td></tr>
 *   <tr><td>{@value #DASHBOARD_PATH}</td><td>the dashboard: one HTML page, no external resource; its
 *     data come from {@value #RINGS_PATH} (each group's ring: members' shares of the keys, owners
 *     around the circle) and {@value #EVENTS_PATH} (server-sent events: the state and each
 *     transition). Off with {@link CloisterHttpOptions#setDashboard}</td></tr>
 * </table>
 *
 * <p>It serves the Cloister of its own Vert.x instance ({@link Cloister#of}) and may be deployed
 * before the {@link CloisterVerticle}, so that probes get answers while the node waits for
 * consensus. Deployed by name, it reads {@link CloisterHttpOptions} from its deployment config.
 */
public class CloisterHttpVerticle extends VerticleBase {

  /** The default port: 8558, the port Akka Management uses for the same probes. */
  public static final int DEFAULT_PORT = CloisterHttpOptions.DEFAULT_PORT;
  /** The default host: every interface, as a probe comes from outside the container. */
  public static final String DEFAULT_HOST = CloisterHttpOptions.DEFAULT_HOST;
  /** The readiness path. */
  public static final String READY_PATH = "/health/ready";
  /** The liveness path. */
  public static final String LIVE_PATH = "/health/live";
  /** The state path. */
  public static final String STATE_PATH = "/cloister/state";
  /** The Prometheus metrics path. */
  public static final String METRICS_PATH = "/metrics";
  /** The dashboard path. */
  public static final String DASHBOARD_PATH = "/cloister/";
  /** The rings path: the data the dashboard draws each group's ring from. */
  public static final String RINGS_PATH = "/cloister/rings";
  /** The event stream path: server-sent events of the state and transitions. */
  public static final String EVENTS_PATH = "/cloister/events";

  private final CloisterHttpOptions options;
  private volatile HttpServer server;

  /** For deployment by name: {@link CloisterHttpOptions} come from the deployment config. */
  public CloisterHttpVerticle() {
    this.options = null;
  }

  /**
   * Serves on {@code host}:{@code port}, with the dashboard and metrics.
   *
   * @param host the address to bind, e.g. {@value #DEFAULT_HOST} or {@code 127.0.0.1}
   * @param port the port, or 0 for any free port (see {@link #actualPort()})
   * @throws IllegalArgumentException when the host is blank or the port outside 0 to 65535
   */
  public CloisterHttpVerticle(String host, int port) {
    this(new CloisterHttpOptions().setHost(host).setPort(port));
  }

  /**
   * Serves as {@code options} say.
   *
   * @param options where to listen and what to serve; copied
   */
  public CloisterHttpVerticle(CloisterHttpOptions options) {
    this.options = new CloisterHttpOptions(options);
  }

  @Override
  public Future<?> start() {
    CloisterHttpOptions o = options;
    if (o == null) {
      try {
        o = new CloisterHttpOptions(config());
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
    }
    NodeHttpHandler handler = new NodeHttpHandler(vertx, o.isDashboard(), o.isMetrics());
    return vertx.createHttpServer(new HttpServerOptions().setHost(o.getHost()).setPort(o.getPort()))
      .requestHandler(handler)
      .listen()
      .onSuccess(s -> server = s);
  }

  /**
   * The port the server listens on, useful when it was started on port 0.
   *
   * @return the bound port, or -1 before the verticle started
   */
  public int actualPort() {
    HttpServer s = server;
    return s == null ? -1 : s.actualPort();
  }
}
