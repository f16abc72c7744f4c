package dev.cloister.impl.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;

/**
 * The Prometheus text exposition of the registry a Vert.x reports into, for {@code GET /metrics}.
 * Loaded only when Micrometer's Prometheus registry is on the class path
 * ({@link MetricsRegistries#prometheusPresent()}).
 */
public final class PrometheusText {

  /** The content type of the Prometheus text format, as vertx-micrometer-metrics serves it. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private PrometheusText() {
  }

  /**
   * Scrapes the Prometheus registry of {@code vertx}: its own, or one inside a composite registry.
   *
   * @param vertx a Vert.x instance
   * @return the exposition text, or {@code null} when that Vert.x reports into no Prometheus registry
   */
  public static String scrape(Vertx vertx) {
    PrometheusMeterRegistry p = prometheus(MicrometerNodeMetrics.registryOf(vertx));
    return p == null ? null : p.scrape();
  }

  private static PrometheusMeterRegistry prometheus(MeterRegistry registry) {
    if (registry instanceof PrometheusMeterRegistry p) {
      return p;
    }
    if (registry instanceof CompositeMeterRegistry c) {
      for (MeterRegistry r : c.getRegistries()) {
        PrometheusMeterRegistry p = prometheus(r);
        if (p != null) {
          return p;
        }
      }
    }
    return null;
  }
}
