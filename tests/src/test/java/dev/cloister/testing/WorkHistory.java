package dev.cloister.testing;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Every start and stop of sharded workers across the nodes of one JVM, in the order they happened,
 * and the checks a history must pass: no key running on two nodes at once, and where each key runs
 * at the end.
 */
public final class WorkHistory {

  /**
   * One start or stop.
   *
   * @param node the node it ran on
   * @param key the key
   * @param start true for a start, false for a stop
   * @param at when it happened, on the history's clock
   * @param detail the payload a start got, or the reason of a stop
   */
  public record Event(String node, String key, boolean start, long at, String detail) {
  }

  private final List<Event> events = new ArrayList<>();
  private final LongSupplier clock;

  /** A history timed by {@link System#nanoTime()}: for nodes that all run in this JVM. */
  public WorkHistory() {
    this(System::nanoTime);
  }

  /**
   * A history timed by {@code clock}; events from other JVMs come with their own times on the same
   * clock (the wall clock of one machine) and are ordered by it.
   *
   * @param clock the clock of this JVM's events
   */
  public WorkHistory(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * Records an event that happened elsewhere, at its own time.
   *
   * @param e the event
   */
  public synchronized void record(Event e) {
    int i = events.size();
    while (i > 0 && events.get(i - 1).at() > e.at()) {
      i--;
    }
    events.add(i, e);
  }

  /**
   * Records a start.
   *
   * @param node the node
   * @param key the key
   * @param payload the payload it started with
   */
  public synchronized void started(String node, String key, JsonObject payload) {
    record(new Event(node, key, true, clock.getAsLong(), payload == null ? null : payload.encode()));
  }

  /**
   * Records a stop.
   *
   * @param node the node
   * @param key the key
   * @param reason the reason
   */
  public synchronized void stopped(String node, String key, String reason) {
    record(new Event(node, key, false, clock.getAsLong(), reason));
  }

  /** @return a copy of the events so far, in order */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /**
   * Every moment a key started on a node while another node (or the same one) was running it.
   *
   * @return descriptions of the overlaps, empty when the history is clean
   */
  public synchronized List<String> overlaps() {
    List<String> out = new ArrayList<>();
    Map<String, Set<String>> running = new HashMap<>();
    for (Event e : events) {
      Set<String> on = running.computeIfAbsent(e.key(), k -> new HashSet<>());
      if (e.start()) {
        if (!on.isEmpty()) {
          out.add(e.key() + " started on " + e.node() + " while running on " + on);
        }
        on.add(e.node());
      } else if (!on.remove(e.node())) {
        out.add(e.key() + " stopped on " + e.node() + " (" + e.detail() + ") where it was not running");
      }
    }
    return out;
  }

  /** @return for each key that runs now, the nodes it runs on */
  public synchronized Map<String, Set<String>> running() {
    Map<String, Set<String>> running = new TreeMap<>();
    for (Event e : events) {
      Set<String> on = running.computeIfAbsent(e.key(), k -> new HashSet<>());
      if (e.start()) {
        on.add(e.node());
      } else {
        on.remove(e.node());
      }
    }
    running.values().removeIf(Set::isEmpty);
    return running;
  }

  /**
   * Whether each of {@code keys} runs on exactly one node, and no other key runs.
   *
   * @param keys the keys expected to run
   * @return true when so
   */
  public boolean eachRunsOnce(Set<String> keys) {
    Map<String, Set<String>> r = running();
    return r.keySet().equals(keys) && r.values().stream().allMatch(s -> s.size() == 1);
  }

  /**
   * The last start of a key.
   *
   * @param key the key
   * @return that event, or null
   */
  public synchronized Event lastStart(String key) {
    for (int i = events.size() - 1; i >= 0; i--) {
      Event e = events.get(i);
      if (e.start() && e.key().equals(key)) {
        return e;
      }
    }
    return null;
  }

  /** @return how many keys run on each node now */
  public Map<String, Integer> perNode() {
    Map<String, Integer> out = new TreeMap<>();
    running().values().forEach(s -> s.forEach(n -> out.merge(n, 1, Integer::sum)));
    return out;
  }
}
