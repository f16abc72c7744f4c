package dev.cloister.impl.metrics;

import io.vertx.core.Vertx;

import java.util.function.IntSupplier;

/**
 * What a sharded worker set counts on one node: its running keys (a gauge read on demand), its
 * hand-offs, and how long a rebalance takes. Free of any metrics library; {@link #of} returns
 * Micrometer meters only when vertx-micrometer-metrics is on the class path and enabled.
 */
public interface WorkerMetrics {

  /** Counts nothing. */
  WorkerMetrics NONE = new WorkerMetrics() {
    @Override
    public void handoff() {
    }

    @Override
    public void rebalanced(long nanos) {
    }

    @Override
    public void close() {
    }
  };

  /** Counts one key handed off to its next owner. */
  void handoff();

  /**
   * Records one rebalance: from the ring change to the moment this node had decided which keys
   * are its own and handed off those that are not.
   *
   * @param nanos its duration
   */
  void rebalanced(long nanos);

  /** Removes the meters: the set closed on this node. */
  void close();

  /**
   * The meters of a set on the registry the Vert.x reports into, or {@link #NONE}.
   *
   * @param vertx the node's Vert.x
   * @param name the set's name (a tag: sets are few, keys never are)
   * @param running how many keys run here now
   * @return the metrics
   */
  static WorkerMetrics of(Vertx vertx, String name, IntSupplier running) {
    if (!MetricsRegistries.micrometerPresent()) {
      return NONE;
    }
    WorkerMetrics m = MicrometerWorkerMetrics.attach(vertx, name, running);
    return m == null ? NONE : m;
  }
}
