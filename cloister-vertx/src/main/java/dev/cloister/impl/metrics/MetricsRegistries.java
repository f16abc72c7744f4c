package dev.cloister.impl.metrics;

/**
 * Whether the optional metrics libraries are on the class path. Checked by name, so that the
 * classes that link against them are loaded only when they are there.
 */
public final class MetricsRegistries {

  private static final boolean MICROMETER = present("io.micrometer.core.instrument.MeterRegistry")
    && present("io.vertx.micrometer.impl.MicrometerMetrics");
  private static final boolean PROMETHEUS = MICROMETER
    && present("io.micrometer.prometheusmetrics.PrometheusMeterRegistry");

  private MetricsRegistries() {
  }

  /** @return whether vertx-micrometer-metrics and Micrometer are on the class path */
  public static boolean micrometerPresent() {
    return MICROMETER;
  }

  /** @return whether Micrometer's Prometheus registry is on the class path too */
  public static boolean prometheusPresent() {
    return PROMETHEUS;
  }

  private static boolean present(String name) {
    try {
      Class.forName(name, false, MetricsRegistries.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
