package dev.cloister.impl.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * A worker set's meters: {@code cloister_workers_running{name}},
 * {@code cloister_workers_handoffs_total{name}} and {@code cloister_workers_rebalance_seconds{name}}
 * in Prometheus form, on the registry of the node's Vert.x.
 */
final class MicrometerWorkerMetrics implements WorkerMetrics {

  static final String RUNNING = "cloister.workers.running";
  static final String HANDOFFS = "cloister.workers.handoffs";
  static final String REBALANCE = "cloister.workers.rebalance";

  private final MeterRegistry registry;
  private final Counter handoffs;
  private final Timer rebalance;
  private final List<Meter> meters;

  private MicrometerWorkerMetrics(MeterRegistry registry, String name, IntSupplier running) {
    this.registry = registry;
    // A strong reference: the supplier is a lambda nobody else holds.
    Gauge gauge = Gauge.builder(RUNNING, running, r -> r.getAsInt()).strongReference(true).tag("name", name)
      .description("Keys of a worker set running on this node").register(registry);
    this.handoffs = Counter.builder(HANDOFFS).tag("name", name)
      .description("Keys of a worker set this node handed off to their next owner").register(registry);
    this.rebalance = Timer.builder(REBALANCE).tag("name", name)
      .description("From a ring change to this node's keys decided and handed off")
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
      .register(registry);
    this.meters = List.of(gauge, handoffs, rebalance);
  }

  static WorkerMetrics attach(Vertx vertx, String name, IntSupplier running) {
    MeterRegistry registry = MicrometerNodeMetrics.registryOf(vertx);
    return registry == null ? null : new MicrometerWorkerMetrics(registry, name, running);
  }

  @Override
  public void handoff() {
    handoffs.increment();
  }

  @Override
  public void rebalanced(long nanos) {
    rebalance.record(Duration.ofNanos(nanos));
  }

  @Override
  public void close() {
    meters.forEach(registry::remove);
  }
}
