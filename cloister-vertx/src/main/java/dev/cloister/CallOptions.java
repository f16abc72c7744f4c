package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.codegen.annotations.Nullable;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of one {@code multicall}, {@code multicast} or {@code multiapply}: the timeout, the
 * headers handed to the consumers, and the codec of the body.
 */
@DataObject
public class CallOptions {

  /** The default timeout, as for event-bus requests: 30 s. */
  public static final long DEFAULT_TIMEOUT = 30_000;

  private long timeout = DEFAULT_TIMEOUT;
  private Map<String, String> headers = new LinkedHashMap<>();
  private String codecName;

  /** Creates the default options. */
  public CallOptions() {
  }

  /**
   * Copies other options.
   *
   * @param other the options to copy
   */
  public CallOptions(CallOptions other) {
    timeout = other.timeout;
    headers = new LinkedHashMap<>(other.headers);
    codecName = other.codecName;
  }

  /**
   * Creates options from their JSON form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public CallOptions(JsonObject json) {
    timeout = json.getLong("timeout", DEFAULT_TIMEOUT);
    JsonObject h = json.getJsonObject("headers", new JsonObject());
    h.forEach(e -> headers.put(e.getKey(), String.valueOf(e.getValue())));
    codecName = json.getString("codecName");
  }

  /**
   * The JSON form of these options.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    return new JsonObject().put("timeout", timeout).put("headers", new JsonObject(new LinkedHashMap<>(headers)))
      .put("codecName", codecName);
  }

  /** @return how long each node has to answer, in ms; a slower node is a per-node timeout (504) */
  public long getTimeout() {
    return timeout;
  }

  /**
   * Sets how long each node has to answer.
   *
   * @param timeout milliseconds, at least 1
   * @return this
   * @throws IllegalArgumentException when below 1
   */
  public CallOptions setTimeout(long timeout) {
    if (timeout < 1) {
      throw new IllegalArgumentException("Invalid call timeout = " + timeout + ": must be at least 1 ms");
    }
    this.timeout = timeout;
    return this;
  }

  /** @return the headers handed to each node's consumer with the body */
  public Map<String, String> getHeaders() {
    return headers;
  }

  /**
   * @param headers headers handed to each node's consumer; names starting with {@code cloister.} are reserved
   * @return this
   */
  public CallOptions setHeaders(Map<String, String> headers) {
    this.headers = headers == null ? new LinkedHashMap<>() : new LinkedHashMap<>(headers);
    return this;
  }

  /**
   * Adds one header handed to each node's consumer.
   *
   * @param name the header name; names starting with {@code cloister.} are reserved
   * @param value its value
   * @return this
   */
  public CallOptions addHeader(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** @return the name of the codec of the body, or {@code null} for the default codec of its type */
  public @Nullable String getCodecName() {
    return codecName;
  }

  /**
   * @param codecName the name of a codec registered on every node, or {@code null}
   * @return this
   */
  public CallOptions setCodecName(@Nullable String codecName) {
    this.codecName = codecName;
    return this;
  }
}
