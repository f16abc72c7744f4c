package dev.cloister;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What a sharded worker set runs for each of its keys, on the node that owns the key.
 *
 * <p>Every callback runs on the worker set's own Vert.x context, never concurrently for one key,
 * and must not block (use {@code executeBlocking} for blocking work). Only {@link #perform} is
 * required.
 *
 * <p>Each callback gets its own copy of the key's stored payload: changing that object changes
 * nothing else. A new payload is stored by {@link WorkOutcome#replace}, by a {@code put}, or as the
 * result of {@link #handOff}.
 */
public interface Worker {

  /**
   * Does one round of work for a key: on every tick, after a {@code put} when the tick is 0.
   *
   * @param key the key
   * @param payload its current payload
   * @return what to do next
   */
  Future<WorkOutcome> perform(String key, JsonObject payload);

  /**
   * The key starts running on this node; no perform runs before this completes.
   *
   * @param key the key
   * @param payload its payload
   * @return completes once started
   */
  default Future<Void> start(String key, JsonObject payload) {
    return Future.succeededFuture();
  }

  /**
   * The key moves to another node: the payload to carry over; {@code null} keeps the last one.
   *
   * @param key the key
   * @param payload its current payload
   * @return the payload the next owner starts with
   */
  default Future<JsonObject> handOff(String key, JsonObject payload) {
    return Future.succeededFuture(payload);
  }

  /**
   * The key stops running on this node; no callback follows for it here.
   *
   * @param key the key
   * @param payload its payload
   * @param reason {@code moved}, {@code deleted}, {@code halted}, {@code renamed}, {@code closed}
   *     or {@code quorum-lost}
   */
  default void stop(String key, JsonObject payload, String reason) {
  }

  /**
   * Answers a message sent with {@link ShardedWorkers#call}.
   *
   * @param key the key
   * @param payload its current payload
   * @param message the message
   * @return the reply
   */
  default Future<JsonObject> call(String key, JsonObject payload, JsonObject message) {
    return Future.failedFuture(new CloisterException(CloisterException.NOT_FOUND, "this worker answers no calls"));
  }

  /**
   * Receives a message sent with {@link ShardedWorkers#cast}.
   *
   * @param key the key
   * @param payload its current payload
   * @param message the message
   */
  default void cast(String key, JsonObject payload, JsonObject message) {
  }
}
