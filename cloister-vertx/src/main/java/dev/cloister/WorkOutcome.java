package dev.cloister;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * What a {@link Worker#perform} asks for next: carry on, store a new payload, move to a new key,
 * perform again at another time, or remove the key.
 */
public final class WorkOutcome {

  /** The kinds of outcome. */
  public enum Kind {
    /** Carry on; the next perform comes with the tick. */
    OK,
    /** Store a new payload (replicated before the next perform). */
    REPLACE,
    /** Move to a new key with a payload; the old key stops with reason {@code renamed}. */
    RENAME,
    /** The next perform after a delay instead of the tick, once. */
    RESCHEDULE,
    /** Remove the key; it stops with reason {@code halted}. */
    HALT
  }

  private static final WorkOutcome OK = new WorkOutcome(Kind.OK, null, null, 0);
  private static final WorkOutcome HALT = new WorkOutcome(Kind.HALT, null, null, 0);

  private final Kind kind;
  private final JsonObject payload;
  private final String newKey;
  private final long delay;

  private WorkOutcome(Kind kind, JsonObject payload, String newKey, long delay) {
    this.kind = kind;
    this.payload = payload;
    this.newKey = newKey;
    this.delay = delay;
  }

  /** @return carry on */
  public static WorkOutcome ok() {
    return OK;
  }

  /**
   * Stores a new payload before the next perform.
   *
   * @param payload the new payload, not {@code null}
   * @return the outcome
   */
  public static WorkOutcome replace(JsonObject payload) {
    return new WorkOutcome(Kind.REPLACE, Objects.requireNonNull(payload, "payload"), null, 0);
  }

  /**
   * Moves the work to a new key, which starts on its owner.
   *
   * @param newKey the new key, not {@code null}
   * @param payload its payload, not {@code null}
   * @return the outcome
   */
  public static WorkOutcome rename(String newKey, JsonObject payload) {
    return new WorkOutcome(Kind.RENAME, Objects.requireNonNull(payload, "payload"),
      Objects.requireNonNull(newKey, "newKey"), 0);
  }

  /**
   * Performs again after {@code ms} instead of the tick, once; then the tick resumes.
   *
   * @param ms the delay, at least 1
   * @return the outcome
   */
  public static WorkOutcome reschedule(long ms) {
    if (ms < 1) {
      throw new IllegalArgumentException("reschedule needs a delay of at least 1 ms, not " + ms);
    }
    return new WorkOutcome(Kind.RESCHEDULE, null, null, ms);
  }

  /** @return removes the key */
  public static WorkOutcome halt() {
    return HALT;
  }

  /** @return the kind */
  public Kind kind() {
    return kind;
  }

  /** @return the payload of {@code replace} and {@code rename}, else {@code null} */
  public JsonObject payload() {
    return payload;
  }

  /** @return the new key of {@code rename}, else {@code null} */
  public String newKey() {
    return newKey;
  }

  /** @return the delay of {@code reschedule}, else 0 */
  public long delay() {
    return delay;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case OK -> "ok";
      case HALT -> "halt";
      case REPLACE -> "replace";
      case RENAME -> "rename(" + newKey + ")";
      case RESCHEDULE -> "reschedule(" + delay + ")";
    };
  }
}
