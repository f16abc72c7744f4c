package dev.cloister;

import dev.cloister.impl.workers.WorkerSet;
import io.vertx.codegen.annotations.GenIgnore;
import io.vertx.codegen.annotations.Nullable;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * A set of keys, each with a JSON payload and a {@link Worker} running on the one node that owns
 * the key in the group's ring, and only while that node is quorate.
 *
 * <p>The key set is cluster-wide (replicated on every node that runs the set), so it survives any
 * single node's crash. When the ring changes the old owner hands each moving key off (its
 * {@code handOff} and {@code stop} complete, the carried payload is stored) before the new owner
 * starts it; after a crash or a partition the survivors wait a fence before they start the keys
 * of the node they lost, and a node that loses quorum stops all its keys at once. The set's ring
 * is the group's ring of the members that run the set: when all of them do, {@link #ownerOf}
 * answers as {@code Cloister.whois(group, key)}.
 *
 * <p>Errors are {@link CloisterException}s: 400 bad key or payload, 404 unknown key, 503 not
 * quorate (or the key's owner could not be reached in time), 504 call timeout.
 *
 * <p>RxJava 3: {@code dev.cloister.rxjava3.ShardedWorkers.start(vertx, name, options, worker)} takes
 * the RxJava Vert.x and the same {@link Worker}, and gives a {@code Single} of a set whose methods
 * return {@code Single}, {@code Maybe} and {@code Completable}.
 */
@VertxGen
public interface ShardedWorkers {

  /**
   * Starts (or joins) the worker set {@code name} on this node; every node of the group that starts
   * the same name takes part. Succeeds before the node is READY; its keys run once it is READY and
   * quorate. On a Vert.x that is not clustered (a Cloister of one, {@code NONODE}) the node runs every
   * key, its key set kept in local caches until the node's Cloister stops: the same code runs in a
   * test or a single process.
   *
   * @param vertx a Vert.x on which a Cloister runs
   * @param name the set's name: letters, digits, {@code .}, {@code _} and {@code -}
   * @param options its options
   * @param worker what runs for each key
   * @return the set, or a failure naming a bad option or argument
   */
  @GenIgnore(GenIgnore.PERMITTED_TYPE)
  static Future<ShardedWorkers> start(Vertx vertx, String name, WorkersOptions options, Worker worker) {
    return WorkerSet.start(vertx, name, options, worker);
  }

  /**
   * Stores a key's payload, creating the key or replacing its payload; a running key sees it at its
   * next perform, without a restart.
   *
   * @param key the key
   * @param payload the payload
   * @return completes once replicated
   */
  Future<Void> put(String key, JsonObject payload);

  /**
   * Stores a key only if it does not exist yet.
   *
   * @param key the key
   * @param payload the payload
   * @return whether the key was created
   */
  Future<Boolean> putNew(String key, JsonObject payload);

  /**
   * Removes a key; its worker stops with reason {@code deleted}.
   *
   * @param key the key
   * @return whether the key existed
   */
  Future<Boolean> delete(String key);

  /**
   * A key's stored payload.
   *
   * @param key the key
   * @return its payload, or {@code null} for an unknown key
   */
  Future<@Nullable JsonObject> get(String key);

  /**
   * Sends a message to a key's worker, wherever it runs, and returns its reply.
   *
   * @param key the key
   * @param message the message
   * @return the worker's reply; 404 for an unknown key, 503 when no owner runs it within the
   *     hand-off timeout, 504 when the worker does not answer in time
   */
  Future<@Nullable JsonObject> call(String key, JsonObject message);

  /**
   * Sends a message to a key's worker, wherever it runs, without waiting for it.
   *
   * @param key the key
   * @param message the message
   */
  void cast(String key, JsonObject message);

  /**
   * The node that owns a key.
   *
   * @param key the key
   * @return the owner's node name in the set's ring
   * @throws CloisterException with 400 for a bad key, 503 when this node has no ring for the set
   *     (not quorate yet, or no member runs it)
   */
  String ownerOf(String key);

  /** @return the keys running on this node now: their start completed and they have not stopped */
  Set<String> localKeys();

  /** @return how many keys the set holds, cluster-wide */
  Future<Long> size();

  /**
   * Leaves the set on this node: each running key is handed off to its next owner (or stops with
   * reason {@code closed} when no other node remains); the keys stay stored.
   *
   * @return completes once every key was handed off
   */
  Future<Void> close();
}
