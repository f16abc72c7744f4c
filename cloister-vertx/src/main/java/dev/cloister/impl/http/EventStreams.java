package dev.cloister.impl.http;

import dev.cloister.Cloister;
import dev.cloister.impl.CloisterImpl;
import dev.cloister.impl.health.HealthProcedures;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard's server-sent events: on connecting, the node's state ({@code state}) and its
 * recent transitions ({@code transition}, oldest first); then each new transition followed by
 * the state, and the state again whenever it changed without a transition (convergence, missing
 * nodes), checked every {@value #TICK_MS} ms. While no Cloister runs the stream says so and
 * ends; the browser reconnects after {@value #RETRY_MS} ms and finds the node once it started.
 *
 * <p>A client that does not read is dropped rather than buffered for, and the number of open
 * streams is bounded, so that watchers never cost the node memory it needs.
 */
final class EventStreams {

  static final long TICK_MS = 2_000;
  static final long RETRY_MS = 2_000;
  /** Open streams per server; more get a 503. */
  static final int MAX_STREAMS = 32;

  private final Vertx vertx;
  private final AtomicInteger open = new AtomicInteger();

  EventStreams(Vertx vertx) {
    this.vertx = vertx;
  }

  void open(HttpServerRequest request) {
    if (open.incrementAndGet() > MAX_STREAMS) {
      open.decrementAndGet();
      NodeHttpHandler.send(request, 503, new JsonObject().put("error", "Too many event streams open ("
        + MAX_STREAMS + "); close one and retry"));
      return;
    }
    HttpServerResponse response = request.response();
    response.setChunked(true)
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      // Proxies such as nginx would otherwise hold events back.
      .putHeader("X-Accel-Buffering", "no");
    if (request.method() == HttpMethod.HEAD) {
      open.decrementAndGet();
      response.end();
      return;
    }
    Cloister cloister = HealthProcedures.running(vertx);
    if (!(cloister instanceof CloisterImpl node)) {
      open.decrementAndGet();
      response.end("retry: " + RETRY_MS + "\n\n" + event("waiting", new JsonObject()
        .put("error", HealthProcedures.NO_CLOISTER)));
      return;
    }
    new Stream(node, response, vertx.getOrCreateContext()).start();
  }

  private static String event(String name, JsonObject data) {
    // JSON from encode() holds no raw line break, so one data line carries it.
    return "event: " + name + "\ndata: " + data.encode() + "\n\n";
  }

  /** One client's stream, confined to the HTTP server's context. */
  private final class Stream {
    private final CloisterImpl node;
    private final HttpServerResponse response;
    private final Context context;
    private Runnable unsubscribe = () -> { };
    private long timer = -1;
    private String lastState;
    private boolean closed;

    Stream(CloisterImpl node, HttpServerResponse response, Context context) {
      this.node = node;
      this.response = response;
      this.context = context;
    }

    void start() {
      response.closeHandler(v -> close());
      response.exceptionHandler(e -> close());
      write("retry: " + RETRY_MS + "\n\n");
      sendStateIfChanged();
      // Recent entries come first, written here; later ones hop onto this context after them.
      unsubscribe = node.journal().subscribe(
        entry -> context.runOnContext(v -> {
          write(event("transition", entry));
          sendStateIfChanged();
        }),
        recent -> recent.forEach(e -> write(event("transition", e))));
      timer = vertx.setPeriodic(TICK_MS, id -> {
        if (HealthProcedures.running(vertx) != node) {
          // The node stopped: end, so that the browser reconnects to whatever runs next.
          finish();
        } else {
          sendStateIfChanged();
        }
      });
    }

    private void sendStateIfChanged() {
      JsonObject state = node.state().toJson();
      String encoded = state.encode();
      if (!encoded.equals(lastState)) {
        lastState = encoded;
        write("event: state\ndata: " + encoded + "\n\n");
      }
    }

    private void write(String text) {
      if (closed) {
        return;
      }
      if (response.writeQueueFull()) {
        // A client that does not read gets dropped; it reconnects and starts from the state.
        response.reset();
        close();
        return;
      }
      response.write(text);
    }

    private void finish() {
      if (!closed) {
        close();
        response.end();
      }
    }

    private void close() {
      if (closed) {
        return;
      }
      closed = true;
      unsubscribe.run();
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      open.decrementAndGet();
    }
  }
}
