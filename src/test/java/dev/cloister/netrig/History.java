package dev.cloister.netrig;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Everything a run observed, in arrival order: each node's transitions, state samples, JGroups views,
 * call results and warnings (with the node's own timestamps), and each fault the test injected (with
 * the test's). Invariants are checked on it afterwards ({@link Invariants}); it is written out as
 * JSON lines so a failed run can be read.
 */
final class History {

  /**
   * One observation.
   *
   * @param at epoch ms (all processes share the machine's clock)
   * @param node the node, or {@code "nemesis"} for an injected fault
   * @param kind {@code transition}, {@code state}, {@code view}, {@code owners}, {@code multicall},
   *             {@code stderr}, {@code exit} or {@code fault}
   * @param data the event
   */
  record Op(long at, String node, String kind, JsonObject data) {

    /** @return the node's state carried by a transition or a sample, or null */
    JsonObject state() {
      return data.getJsonObject("state");
    }

    @Override
    public String toString() {
      return at + " " + node + " " + kind + " " + data.encode();
    }
  }

  private final List<Op> ops = new ArrayList<>();

  synchronized void add(long at, String node, String kind, JsonObject data) {
    ops.add(new Op(at, node, kind, data));
  }

  /**
   * Records an injected fault.
   *
   * @param what e.g. {@code partition}
   * @param detail what it did
   */
  void fault(String what, String detail) {
    add(System.currentTimeMillis(), "nemesis", "fault", new JsonObject().put("fault", what).put("detail", detail));
  }

  /** @return every observation so far, ordered by time */
  synchronized List<Op> ops() {
    List<Op> copy = new ArrayList<>(ops);
    copy.sort((a, b) -> Long.compare(a.at, b.at));
    return copy;
  }

  /**
   * @param from epoch ms, inclusive
   * @param match which observations
   * @return the matching observations from {@code from} on, ordered by time
   */
  List<Op> since(long from, Predicate<Op> match) {
    return ops().stream().filter(o -> o.at >= from && match.test(o)).toList();
  }

  /**
   * Writes the history as JSON lines.
   *
   * @param file where
   */
  void write(Path file) {
    try {
      Files.createDirectories(file.getParent());
      List<String> lines = new ArrayList<>();
      ops().forEach(o -> lines.add(o.toString()));
      Files.write(file, lines);
    } catch (IOException e) {
      // the history is evidence for a reader, not part of the verdict
    }
  }
}
