package dev.cloister.impl.discovery;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.Sentry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Re-resolves a DNS sentry every {@code discoveryInterval} for the whole life of the node, hands
 * each new list of seeds to the transport, and publishes it on the local address
 * {@code <prefix>.discovery} (the latest is also kept in the local map {@value #MAP}, so that a
 * Cloister starting later reads it; this class is that entry's only writer, and
 * {@link #close()} removes it). Lifecycle: {@link #start()}, {@link #close()}.
 *
 * <p>NXDOMAIN and empty answers are results (nobody is registered now); SERVFAIL, timeouts and
 * malformed answers are logged once per distinct error and retried at the next interval, never
 * fatal; the previous list is kept meanwhile.
 */
public final class DnsDiscovery {

  /** The local map where the latest resolution is kept; owned by this class alone. */
  public static final String MAP = "__cloister.discovery";
  /** Its key there. */
  public static final String KEY = "discovery";

  private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

  private final Vertx vertx;
  private final Sentry sentry;
  private final DnsSentryResolver resolver;
  private final long interval;
  private final String address;
  private final Consumer<List<HostAndPort>> onSeeds;
  private List<HostAndPort> seeds;
  private JsonObject published;
  private String lastError;
  private long timer = -1;
  private boolean closed;
  private boolean started;

  /**
   * Creates a discovery; nothing is asked until {@link #resolveOnce()} or {@link #start()}.
   *
   * @param vertx the Vert.x instance whose event loop runs the resolver
   * @param sentry a DNS sentry
   * @param dnsServers the servers to ask, empty for the system's
   * @param interval ms between resolutions
   * @param prefix the event-bus address prefix
   * @param onSeeds called with every new list of seeds
   */
  public DnsDiscovery(Vertx vertx, Sentry sentry, List<HostAndPort> dnsServers, long interval, String prefix,
                      Consumer<List<HostAndPort>> onSeeds) {
    this.vertx = vertx;
    this.sentry = sentry;
    this.interval = interval;
    this.address = prefix + ".discovery";
    this.onSeeds = onSeeds;
    this.resolver = new DnsSentryResolver(vertx, dnsServers, Math.max(200, Math.min(2000, interval)));
  }

  /**
   * Resolves once; never fails: a failure gives the seeds known so far (none at first).
   *
   * @return the seeds
   */
  public Future<List<HostAndPort>> resolveOnce() {
    return resolver.resolve(sentry).transform(ar -> {
      if (ar.succeeded()) {
        accept(ar.result());
      } else {
        failed(ar.cause());
      }
      return Future.succeededFuture(seeds == null ? List.of() : seeds);
    });
  }

  /** Re-resolves every interval until {@link #close()}; call once the event bus runs. */
  public void start() {
    if (!closed && timer < 0) {
      started = true;
      timer = vertx.setPeriodic(interval, id -> resolveOnce());
    }
  }

  /** Stops re-resolving, closes the resolver and removes the list it kept in {@value #MAP}; idempotent. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    resolver.close();
    if (published != null) {
      // Only its own entry: a discovery started later in this Vert.x may have replaced it.
      vertx.sharedData().getLocalMap(MAP).removeIfPresent(KEY, published);
      published = null;
    }
  }

  private void accept(List<HostAndPort> resolved) {
    if (closed) {
      return;
    }
    if (lastError != null) {
      log.info("DNS sentry " + sentry.dnsName() + " answers again");
      lastError = null;
    }
    if (Objects.equals(resolved, seeds)) {
      return;
    }
    log.info("DNS sentry " + sentry.dnsName() + " lists " + (resolved.isEmpty() ? "no node" : resolved));
    seeds = List.copyOf(resolved);
    onSeeds.accept(seeds);
    JsonArray list = new JsonArray();
    seeds.forEach(s -> list.add(s.toString()));
    JsonObject event = new JsonObject().put("name", sentry.dnsName()).put("seeds", list);
    vertx.sharedData().getLocalMap(MAP).put(KEY, event);
    published = event;
    // Before the node joined, the event bus does not run yet: the map alone carries the answer.
    if (started) {
      vertx.eventBus().publish(address, event, new DeliveryOptions().setLocalOnly(true));
    }
  }

  private void failed(Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    if (!message.equals(lastError)) {
      log.warn("Cannot resolve DNS sentry " + sentry.dnsName() + " (retrying every " + interval + " ms): " + message);
      lastError = message;
    } else {
      log.debug("Still cannot resolve DNS sentry " + sentry.dnsName() + ": " + message);
    }
  }
}
