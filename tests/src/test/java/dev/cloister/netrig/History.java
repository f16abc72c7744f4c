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
  private final Path file;

  /**
   * A history that is also appended, as it grows, to {@code file} (read it while a run is under way).
   *
   * @param file the JSON-lines file, replaced
   */
  History(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, List.of());
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the history to " + file, e);
    }
  }

  synchronized void add(long at, String node, String kind, JsonObject data) {
    Op op = new Op(at, node, kind, data);
    ops.add(op);
    try {
      Files.writeString(file, op + "\n", java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      // the file is evidence for a reader, not part of the verdict
    }
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
}
