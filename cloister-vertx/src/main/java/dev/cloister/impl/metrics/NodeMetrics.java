package dev.cloister.impl.metrics;

import dev.cloister.CloisterListener;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.impl.calls.CallCounter;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * What a node counts: transitions (as a listener), whois lookups and sibling calls. Free of any
 * metrics library, so that the node loads without Micrometer; {@link #of} returns Micrometer
 * meters only when vertx-micrometer-metrics is on the class path and enabled for the Vert.x.
 */
public interface NodeMetrics extends CloisterListener, CallCounter {

  /** Counts nothing: Micrometer is absent, or the Vert.x reports no metrics. */
  NodeMetrics NONE = new NodeMetrics() {
    @Override
    public void whois() {
    }

    @Override
    public void count(String op, String result) {
    }

    @Override
    public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
    }
  };

  /** Counts one whois or mine lookup (local or over the event bus). */
  void whois();

  /**
   * The metrics of a node: Micrometer meters on the registry the Vert.x reports into, when
   * vertx-micrometer-metrics is present and enabled, else {@link #NONE}.
   *
   * @param vertx the node's Vert.x
   * @param state the node's current state, read (never changed) when a gauge is read
   * @param label the node's label for logs
   * @return the metrics
   */
  static NodeMetrics of(Vertx vertx, Supplier<CloisterState> state, String label) {
    if (!MetricsRegistries.micrometerPresent()) {
      return NONE;
    }
    // Only reached with Micrometer on the class path: the class below links against it.
    NodeMetrics m = MicrometerNodeMetrics.attach(vertx, state, label);
    return m == null ? NONE : m;
  }
}
