package dev.cloister.impl;

import dev.cloister.CloisterListener;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The last transitions of a node, each a small JSON summary, kept so that a dashboard opened
 * late still shows what happened; subscribers get the summaries that follow. Bounded: the oldest
 * entry goes when a new one comes.
 *
 * <p>An entry: {@code seq} (1, 2, ... per node), {@code at} (epoch ms), {@code from}, {@code to},
 * {@code node}, {@code members} (live members of the app), {@code quorate}.
 */
public final class TransitionJournal implements CloisterListener {

  /** How many transitions a node keeps. */
  public static final int DEFAULT_CAPACITY = 64;

  private final int capacity;
  private final ArrayDeque<JsonObject> entries = new ArrayDeque<>();
  private final List<Consumer<JsonObject>> subscribers = new ArrayList<>();
  private long seq;

  /**
   * A journal of at most {@code capacity} entries.
   *
   * @param capacity the bound, at least 1
   */
  TransitionJournal(int capacity) {
    this.capacity = Math.max(1, capacity);
  }

  @Override
  public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
    JsonObject entry = new JsonObject()
      .put("at", System.currentTimeMillis())
      .put("from", from.name())
      .put("to", to.name())
      .put("node", state.getNode())
      .put("members", new JsonArray(state.memberNames()))
      .put("quorate", state.isQuorate());
    List<Consumer<JsonObject>> targets;
    synchronized (this) {
      entry.put("seq", ++seq);
      entries.addLast(entry);
      if (entries.size() > capacity) {
        entries.removeFirst();
      }
      targets = List.copyOf(subscribers);
    }
    // Each subscriber gets its own copy: a receiver cannot change what the next one sees.
    targets.forEach(t -> t.accept(entry.copy()));
  }

  /**
   * The entries kept now, oldest first, and from now on every new entry to {@code subscriber}
   * (called on the node's context, in order), with nothing lost or repeated in between.
   *
   * @param subscriber told of each later entry
   * @param recent receives the entries kept now, before any later entry reaches the subscriber
   * @return cancels the subscription
   */
  public Runnable subscribe(Consumer<JsonObject> subscriber, Consumer<List<JsonObject>> recent) {
    synchronized (this) {
      List<JsonObject> copy = new ArrayList<>(entries.size());
      entries.forEach(e -> copy.add(e.copy()));
      recent.accept(copy);
      subscribers.add(subscriber);
    }
    return () -> {
      synchronized (this) {
        subscribers.remove(subscriber);
      }
    };
  }

  /** @return the entries kept now, oldest first, as copies */
  public synchronized List<JsonObject> recent() {
    List<JsonObject> copy = new ArrayList<>(entries.size());
    entries.forEach(e -> copy.add(e.copy()));
    return copy;
  }
}
