package dev.cloister.impl.metrics;

import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.spi.metrics.Metrics;
import io.vertx.core.spi.metrics.MetricsProvider;
import io.vertx.micrometer.impl.MicrometerMetrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The node's meters on the Micrometer registry its Vert.x reports into. Names are Micrometer's
 * dotted form; the Prometheus registry writes them as {@code cloister_members},
 * {@code cloister_quorate}, {@code cloister_state}, {@code cloister_transitions_total},
 * {@code cloister_rehash_seconds}, {@code cloister_whois_total} and {@code cloister_calls_total}.
 * Tags are group names, statuses, call operations and outcomes: never a key or a node name.
 *
 * <p>One registry per Vert.x instance, as vertx-micrometer-metrics keeps its own meters: several
 * nodes in one JVM give each Vert.x its own {@code registryName}. A node that finds another
 * node's meters on its registry logs why and counts nothing, rather than mixing two nodes into
 * one series. The meters are removed at {@code STOPPED}, so a node started later in the same
 * Vert.x registers its own.
 */
final class MicrometerNodeMetrics implements NodeMetrics {

  private static final Logger log = LoggerFactory.getLogger(MicrometerNodeMetrics.class);

  static final String MEMBERS = "cloister.members";
  static final String QUORATE = "cloister.quorate";
  static final String STATE = "cloister.state";
  static final String TRANSITIONS = "cloister.transitions";
  static final String REHASH = "cloister.rehash";
  static final String WHOIS = "cloister.whois";
  static final String CALLS = "cloister.calls";

  private final MeterRegistry registry;
  private final Supplier<CloisterState> state;
  private final Set<Meter> meters = ConcurrentHashMap.newKeySet();
  private final Set<String> groups = ConcurrentHashMap.newKeySet();
  private final Map<String, Counter> calls = new ConcurrentHashMap<>();
  private final Counter whois;
  private final Timer rehash;
  /** When the node entered REHASHING, in nanos; 0 when it is not rehashing. Node context only. */
  private long rehashStarted;
  private volatile boolean stopped;

  private MicrometerNodeMetrics(MeterRegistry registry, Supplier<CloisterState> state) {
    this.registry = registry;
    this.state = state;
    keep(Gauge.builder(QUORATE, state, s -> s.get().isQuorate() ? 1 : 0)
      .description("1 when at least consensus members of the app are live").register(registry));
    for (CloisterStatus status : CloisterStatus.values()) {
      keep(Gauge.builder(STATE, state, s -> s.get().getStatus() == status ? 1 : 0)
        .description("1 for the node's current status, 0 for the others").tag("status", status.name())
        .register(registry));
    }
    whois = keep(Counter.builder(WHOIS).description("whois and mine lookups answered by this node")
      .register(registry));
    rehash = keep(Timer.builder(REHASH).description("Time from entering REHASHING to READY")
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
      .register(registry));
    memberGauges();
  }

  /**
   * Meters on the registry of {@code vertx}, or {@code null} when it reports no Micrometer
   * metrics, or when another node already reports into that registry.
   */
  static NodeMetrics attach(Vertx vertx, Supplier<CloisterState> state, String label) {
    MeterRegistry registry = registryOf(vertx);
    if (registry == null) {
      return null;
    }
    if (registry.find(QUORATE).gauge() != null) {
      log.warn(label + ": another Cloister already reports into this Vert.x's Micrometer registry; this node"
        + " registers no meters. Give each Vert.x instance its own MicrometerMetricsOptions.registryName.");
      return null;
    }
    return new MicrometerNodeMetrics(registry, state);
  }

  /**
   * The registry a Vert.x reports its own metrics into (the one named by its
   * {@code MicrometerMetricsOptions.registryName}), or {@code null} when it has no Micrometer metrics.
   *
   * @param vertx a Vert.x instance
   * @return its registry, or {@code null}
   */
  static MeterRegistry registryOf(Vertx vertx) {
    if (!(vertx instanceof MetricsProvider provider)) {
      return null;
    }
    Metrics metrics = provider.getMetrics();
    return metrics instanceof MicrometerMetrics m ? m.registry() : null;
  }

  private <M extends Meter> M keep(M meter) {
    meters.add(meter);
    return meter;
  }

  /** One gauge per group ever seen: a group that lost its last member reads 0, not absent. */
  private void memberGauges() {
    for (String group : state.get().groups().keySet()) {
      if (groups.add(group)) {
        keep(Gauge.builder(MEMBERS, state, s -> {
            List<String> names = s.get().groups().get(group);
            return names == null ? 0 : names.size();
          })
          .description("Live members of a group, as this node sees them").tag("group", group).register(registry));
      }
    }
  }

  @Override
  public void whois() {
    whois.increment();
  }

  @Override
  public void count(String op, String result) {
    if (stopped) {
      return;
    }
    calls.computeIfAbsent(op + '\n' + result, k -> keep(Counter.builder(CALLS)
      .description("Sibling calls per node reached, by operation and outcome")
      .tag("op", op).tag("result", result).register(registry))).increment();
  }

  @Override
  public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState s) {
    if (stopped) {
      return;
    }
    keep(Counter.builder(TRANSITIONS).description("Transitions of the node's state machine")
      .tag("from", from.name()).tag("to", to.name()).register(registry)).increment();
    if (to == CloisterStatus.REHASHING && from != CloisterStatus.REHASHING) {
      rehashStarted = System.nanoTime();
    } else if (to == CloisterStatus.READY && rehashStarted != 0) {
      rehash.record(Duration.ofNanos(System.nanoTime() - rehashStarted));
      rehashStarted = 0;
    } else if (to != CloisterStatus.REHASHING) {
      rehashStarted = 0;
    }
    memberGauges();
    if (to == CloisterStatus.STOPPED) {
      stopped = true;
      meters.forEach(registry::remove);
      meters.clear();
    }
  }
}
