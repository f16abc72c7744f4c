package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * How a {@link ShardedWorkers} set runs: its group, tick, timeouts and fence. From JSON it reads
 * {@code group}, {@code tick}, {@code performTimeout}, {@code handoffTimeout} and {@code fence};
 * any other key, or a value of the wrong type or range, is an error naming it.
 */
@DataObject
public class WorkersOptions {

  /** Default ms between two performs of a key. */
  public static final long DEFAULT_TICK = 1000;
  /** Default ms a perform (or a call) may take before it is abandoned. */
  public static final long DEFAULT_PERFORM_TIMEOUT = 5000;
  /** Default ms a hand-off may take, and a silent lease holder is waited for. */
  public static final long DEFAULT_HANDOFF_TIMEOUT = 5000;

  private static final Set<String> KEYS = Set.of("group", "tick", "performTimeout", "handoffTimeout", "fence");

  private String group;
  private long tick = DEFAULT_TICK;
  private long performTimeout = DEFAULT_PERFORM_TIMEOUT;
  private long handoffTimeout = DEFAULT_HANDOFF_TIMEOUT;
  private long fence = -1;

  /** The defaults: this node's group, a tick of 1 s, 5 s timeouts, the stack's fence. */
  public WorkersOptions() {
  }

  /**
   * Copies other options.
   *
   * @param other the options to copy
   */
  public WorkersOptions(WorkersOptions other) {
    this.group = other.group;
    this.tick = other.tick;
    this.performTimeout = other.performTimeout;
    this.handoffTimeout = other.handoffTimeout;
    this.fence = other.fence;
  }

  /**
   * Reads options from JSON, strictly.
   *
   * @param json the options; every key optional
   * @throws IllegalArgumentException naming an unknown key or an invalid value
   */
  public WorkersOptions(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("Unknown workers option '" + key + "'; known options: "
          + KEYS.stream().sorted().toList());
      }
    }
    Object g = json.getValue("group");
    if (g != null && !(g instanceof String)) {
      throw invalid("group", g, "a group name");
    }
    setGroup((String) g);
    setTick(number(json, "tick", tick));
    setPerformTimeout(number(json, "performTimeout", performTimeout));
    setHandoffTimeout(number(json, "handoffTimeout", handoffTimeout));
    if (json.getValue("fence") != null) {
      setFence(number(json, "fence", fence));
    }
  }

  private static long number(JsonObject json, String key, long dflt) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof Integer || v instanceof Long)) {
      throw invalid(key, v, "a whole number of ms");
    }
    return ((Number) v).longValue();
  }

  private static IllegalArgumentException invalid(String option, Object value, String expected) {
    return new IllegalArgumentException("Invalid workers option " + option + " = " + value + ": expected " + expected);
  }

  /** @return the options as JSON, as the JSON constructor reads them */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (group != null) {
      json.put("group", group);
    }
    json.put("tick", tick).put("performTimeout", performTimeout).put("handoffTimeout", handoffTimeout);
    if (fence >= 0) {
      json.put("fence", fence);
    }
    return json;
  }

  /** @return the group whose ring places the keys; {@code null} for this node's group */
  public String getGroup() {
    return group;
  }

  /**
   * Sets the group whose ring places the keys.
   *
   * @param group a group, or {@code null} for this node's
   * @return this
   * @throws IllegalArgumentException when empty
   */
  public WorkersOptions setGroup(String group) {
    if (group != null && group.isBlank()) {
      throw invalid("group", "'" + group + "'", "a non-empty group name, or none for this node's group");
    }
    this.group = group;
    return this;
  }

  /** @return ms between two performs of a key; 0 performs only after a put or a call */
  public long getTick() {
    return tick;
  }

  /**
   * Sets the ms between two performs of a key.
   *
   * @param tick at least 0; 0 performs only after a put or a call
   * @return this
   * @throws IllegalArgumentException when negative
   */
  public WorkersOptions setTick(long tick) {
    if (tick < 0) {
      throw invalid("tick", tick, "0 (perform only after a put or a call) or more ms");
    }
    this.tick = tick;
    return this;
  }

  /** @return ms a perform or a call may take before it is abandoned */
  public long getPerformTimeout() {
    return performTimeout;
  }

  /**
   * Sets the ms a perform or a call may take before it is abandoned.
   *
   * @param performTimeout at least 1
   * @return this
   * @throws IllegalArgumentException when below 1
   */
  public WorkersOptions setPerformTimeout(long performTimeout) {
    if (performTimeout < 1) {
      throw invalid("performTimeout", performTimeout, "at least 1 ms");
    }
    this.performTimeout = performTimeout;
    return this;
  }

  /** @return ms a hand-off may take, and how long a silent lease holder is waited for */
  public long getHandoffTimeout() {
    return handoffTimeout;
  }

  /**
   * Sets the ms a hand-off may take, and how long a silent lease holder is waited for.
   *
   * @param handoffTimeout at least 1
   * @return this
   * @throws IllegalArgumentException when below 1
   */
  public WorkersOptions setHandoffTimeout(long handoffTimeout) {
    if (handoffTimeout < 1) {
      throw invalid("handoffTimeout", handoffTimeout, "at least 1 ms");
    }
    this.handoffTimeout = handoffTimeout;
    return this;
  }

  /**
   * The ms survivors wait, after they saw a node leave the view, before they start its keys.
   *
   * @return the fence, or -1 for the failure-detection bound of Cloister's stack plus a margin
   */
  public long getFence() {
    return fence;
  }

  /**
   * Sets the fence; {@link ShardedWorkers#start} refuses one below the failure-detection bound.
   *
   * @param fence ms, or -1 for the default
   * @return this
   * @throws IllegalArgumentException when below -1
   */
  public WorkersOptions setFence(long fence) {
    if (fence < -1) {
      throw invalid("fence", fence, "ms at or above the failure-detection bound, or -1 for the default");
    }
    this.fence = fence;
    return this;
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
