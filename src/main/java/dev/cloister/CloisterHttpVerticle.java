package dev.cloister;

import dev.cloister.impl.health.HealthRequestHandler;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * An optional HTTP endpoint for orchestrators and operators: readiness and liveness through
 * {@code vertx-health-check}, and the node's {@link CloisterState} as JSON.
 *
 * <table>
 *   <caption>Paths (GET or HEAD; other methods get 405, other paths 404)</caption>
 *   <tr><td>{@value #READY_PATH}</td><td>200 UP when {@code READY} and quorate, or {@code NONODE};
 *     else 503 DOWN</td></tr>
 *   <tr><td>{@value #LIVE_PATH}</td><td>200 UP while a Cloister runs, is not {@code STOPPED}, and
 *     the event loop answers; else 503 DOWN</td></tr>
 *   <tr><td>{@value #STATE_PATH}</td><td>200 with the state JSON; 503 while no Cloister runs</td></tr>
 * </table>
 *
 * <p>It serves the Cloister of its own Vert.x instance ({@link Cloister#of}) and may be deployed
 * before the {@link CloisterVerticle}, so that probes get answers while the node waits for
 * consensus. Deployed by name, it reads {@code host} and {@code port} from its deployment config.
 */
public class CloisterHttpVerticle extends VerticleBase {

  /** The default port: 8558, the port Akka Management uses for the same probes. */
  public static final int DEFAULT_PORT = 8558;
  /** The default host: every interface, as a probe comes from outside the container. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** The readiness path. */
  public static final String READY_PATH = "/health/ready";
  /** The liveness path. */
  public static final String LIVE_PATH = "/health/live";
  /** The state path. */
  public static final String STATE_PATH = "/cloister/state";

  private static final Set<String> CONFIG_KEYS = Set.of("host", "port");

  private final String host;
  private final int port;
  private volatile HttpServer server;

  /** For deployment by name: {@code host} and {@code port} come from the deployment config. */
  public CloisterHttpVerticle() {
    this(null, -1);
  }

  /**
   * Serves on {@code host}:{@code port}.
   *
   * @param host the address to bind, e.g. {@value #DEFAULT_HOST} or {@code 127.0.0.1}
   * @param port the port, or 0 for any free port (see {@link #actualPort()})
   * @throws IllegalArgumentException when the port is outside 0 to 65535
   */
  public CloisterHttpVerticle(String host, int port) {
    if (host != null) {
      checkPort(port);
    }
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    String h = host;
    int p = port;
    if (h == null) {
      JsonObject config = config();
      for (String key : config.fieldNames()) {
        if (!CONFIG_KEYS.contains(key)) {
          // A misspelt key would silently serve on the default port: fail instead.
          return Future.failedFuture(new IllegalArgumentException("Unknown CloisterHttpVerticle option '" + key
            + "'; known options: " + CONFIG_KEYS));
        }
      }
      try {
        h = config.getString("host", DEFAULT_HOST);
        p = config.getInteger("port", DEFAULT_PORT);
        checkPort(p);
      } catch (ClassCastException | IllegalArgumentException e) {
        return Future.failedFuture(new IllegalArgumentException("Invalid CloisterHttpVerticle option in "
          + config.encode() + ": " + e.getMessage(), e));
      }
    }
    HealthRequestHandler handler = new HealthRequestHandler(vertx, READY_PATH, LIVE_PATH, STATE_PATH);
    return vertx.createHttpServer(new HttpServerOptions().setHost(h).setPort(p))
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

  private static void checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 (any free port) to 65535, not " + port);
    }
  }
}
