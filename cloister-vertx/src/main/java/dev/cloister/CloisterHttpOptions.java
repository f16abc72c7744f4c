package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * Where {@link CloisterHttpVerticle} listens and what it serves besides health and state: the
 * dashboard ({@code /cloister/}) and the Prometheus metrics ({@code /metrics}), both on by default.
 * From a deployment config it reads {@code host}, {@code port}, {@code dashboard} and
 * {@code metrics}; any other key, or a value of the wrong type or range, is an error naming it.
 */
@DataObject
public class CloisterHttpOptions {

  /** The default port: 8558, the port Akka Management uses for the same probes. */
  public static final int DEFAULT_PORT = 8558;
  /** The default host: every interface, as a probe comes from outside the container. */
  public static final String DEFAULT_HOST = "0.0.0.0";

  private static final Set<String> KEYS = Set.of("host", "port", "dashboard", "metrics");

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private boolean dashboard = true;
  private boolean metrics = true;

  /** The defaults: every interface, port {@value #DEFAULT_PORT}, dashboard and metrics on. */
  public CloisterHttpOptions() {
  }

  /**
   * Copies other options.
   *
   * @param other the options to copy
   */
  public CloisterHttpOptions(CloisterHttpOptions other) {
    this.host = other.host;
    this.port = other.port;
    this.dashboard = other.dashboard;
    this.metrics = other.metrics;
  }

  /**
   * Reads options from JSON (a deployment config), strictly.
   *
   * @param json {@code host}, {@code port}, {@code dashboard}, {@code metrics}; all optional
   * @throws IllegalArgumentException naming an unknown key or an invalid value
   */
  public CloisterHttpOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        // A misspelt key would silently serve the default: fail instead.
        throw new IllegalArgumentException("Unknown CloisterHttpVerticle option '" + key + "'; known options: "
          + KEYS.stream().sorted().toList());
      }
    }
    Object h = json.getValue("host", DEFAULT_HOST);
    if (!(h instanceof String s)) {
      throw invalid("host", h, "a string: an address or host name to bind");
    }
    Object p = json.getValue("port", DEFAULT_PORT);
    if (!(p instanceof Integer || p instanceof Long) || ((Number) p).longValue() != ((Number) p).intValue()) {
      throw invalid("port", p, "an integer from 0 (any free port) to 65535");
    }
    setHost(s);
    setPort(((Number) p).intValue());
    setDashboard(flag(json, "dashboard"));
    setMetrics(flag(json, "metrics"));
  }

  private static boolean flag(JsonObject json, String key) {
    Object v = json.getValue(key, true);
    if (!(v instanceof Boolean b)) {
      throw invalid(key, v, "true or false");
    }
    return b;
  }

  private static IllegalArgumentException invalid(String key, Object value, String expected) {
    return new IllegalArgumentException("Invalid CloisterHttpVerticle option " + key + " = '" + value + "': must be "
      + expected);
  }

  /**
   * The JSON form, as read by {@link #CloisterHttpOptions(JsonObject)}.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port).put("dashboard", dashboard).put("metrics", metrics);
  }

  /** @return the address to bind */
  public String getHost() {
    return host;
  }

  /**
   * Sets the address to bind, e.g. {@code 127.0.0.1} to serve only local clients.
   *
   * @param host an address or host name, not blank
   * @return this
   * @throws IllegalArgumentException when blank or holding white space
   */
  public CloisterHttpOptions setHost(String host) {
    if (host == null || host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
      throw invalid("host", host, "an address or host name to bind, without spaces");
    }
    this.host = host;
    return this;
  }

  /** @return the port */
  public int getPort() {
    return port;
  }

  /**
   * Sets the port.
   *
   * @param port 0 (any free port) to 65535
   * @return this
   * @throws IllegalArgumentException when out of range
   */
  public CloisterHttpOptions setPort(int port) {
    if (port < 0 || port > 65535) {
      throw invalid("port", port, "an integer from 0 (any free port) to 65535");
    }
    this.port = port;
    return this;
  }

  /** @return whether {@code /cloister/} and its data paths are served */
  public boolean isDashboard() {
    return dashboard;
  }

  /**
   * Turns the dashboard ({@code /cloister/}, {@code /cloister/rings}, {@code /cloister/events}) on or off.
   *
   * @param dashboard whether to serve it
   * @return this
   */
  public CloisterHttpOptions setDashboard(boolean dashboard) {
    this.dashboard = dashboard;
    return this;
  }

  /** @return whether {@code /metrics} is served */
  public boolean isMetrics() {
    return metrics;
  }

  /**
   * Turns {@code /metrics} on or off.
   *
   * @param metrics whether to serve it
   * @return this
   */
  public CloisterHttpOptions setMetrics(boolean metrics) {
    this.metrics = metrics;
    return this;
  }
}
