package dev.cloister.workers;

import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * A worker that records what happens to it: starts and stops into a shared {@link WorkHistory},
 * the payloads its performs saw, the casts it got; its performs answer what {@code outcome} says,
 * its hand-offs what {@code handOff} says.
 */
final class RecordingWorker implements Worker {

  final String node;
  final WorkHistory history;
  final Map<String, List<JsonObject>> performed = new ConcurrentHashMap<>();
  final Map<String, List<JsonObject>> casts = new ConcurrentHashMap<>();
  final Map<String, List<String>> stops = new ConcurrentHashMap<>();
  /** The payload each {@code stop} got, by key. */
  final Map<String, List<JsonObject>> stopPayloads = new ConcurrentHashMap<>();
  volatile BiFunction<String, JsonObject, WorkOutcome> outcome = (k, p) -> WorkOutcome.ok();
  /** What {@code handOff} answers: by default the payload, marked with this node's name. */
  volatile BiFunction<String, JsonObject, Future<JsonObject>> handOff;

  RecordingWorker(String node, WorkHistory history) {
    this.node = node;
    this.history = history;
    this.handOff = (k, p) -> Future.succeededFuture(p.copy().put("handedOffBy", node));
  }

  @Override
  public Future<Void> start(String key, JsonObject payload) {
    history.started(node, key, payload);
    return Future.succeededFuture();
  }

  @Override
  public Future<WorkOutcome> perform(String key, JsonObject payload) {
    performed.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(payload.copy());
    return Future.succeededFuture(outcome.apply(key, payload));
  }

  @Override
  public Future<JsonObject> handOff(String key, JsonObject payload) {
    return handOff.apply(key, payload);
  }

  @Override
  public void stop(String key, JsonObject payload, String reason) {
    stops.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(reason);
    stopPayloads.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(payload.copy());
    history.stopped(node, key, reason);
  }

  @Override
  public Future<JsonObject> call(String key, JsonObject payload, JsonObject message) {
    if (message.getBoolean("fail", false)) {
      return Future.failedFuture("asked to fail");
    }
    if (message.getBoolean("hang", false)) {
      return io.vertx.core.Promise.<JsonObject>promise().future();
    }
    return Future.succeededFuture(new JsonObject().put("node", node).put("key", key).put("payload", payload)
      .put("echo", message));
  }

  @Override
  public void cast(String key, JsonObject payload, JsonObject message) {
    casts.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(message);
  }

  int performs(String key) {
    List<JsonObject> l = performed.get(key);
    return l == null ? 0 : l.size();
  }
}
