package dev.cloister.netrig;

import dev.cloister.bench.soak.ProcessCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Properties a run's {@link History} must have, checked after the run as Jepsen's checkers are;
 * each returns the violations found (empty when none), quoting the observations that show them.
 */
final class Invariants {

  /**
   * How long two quorate READY rings may disagree before it is a split brain: a peer that became
   * unreachable is, by design, only noticed after the failure-detection bound (heartbeat timeout
   * plus the suspicion check, about 2.5 s), so the side that has not noticed yet still serves its
   * old ring for that long. Longer than that is two clusters.
   */
  static final long SPLIT_BRAIN_MS = 5_000;
  /** How old a node's last observed state may be and still count as what it serves now. */
  private static final long FRESH_MS = 3_000;

  private Invariants() {
  }

  /**
   * Never two nodes READY and quorate on different rings (checksums) for longer than
   * {@link #SPLIT_BRAIN_MS}: two clusters answering ownership differently.
   *
   * @param ops the history
   * @param from epoch ms
   * @param to epoch ms
   * @return the violations
   */
  static List<String> noSplitBrain(List<History.Op> ops, long from, long to) {
    Map<String, History.Op> latest = new HashMap<>();
    Map<String, Long> since = new HashMap<>();
    List<String> violations = new ArrayList<>();
    for (History.Op op : ops) {
      if (op.state() == null) {
        continue;
      }
      latest.put(op.node(), op);
      if (op.at() < from || op.at() > to) {
        continue;
      }
      List<History.Op> serving = latest.values().stream()
        .filter(o -> op.at() - o.at() <= FRESH_MS && serving(o.state())).toList();
      Map<String, Long> now = new HashMap<>();
      for (History.Op a : serving) {
        for (History.Op b : serving) {
          String ca = a.state().getString("checksum");
          String cb = b.state().getString("checksum");
          if (a.node().compareTo(b.node()) < 0 && ca != null && !ca.equals(cb)) {
            String pair = a.node() + "|" + b.node();
            long start = since.getOrDefault(pair, op.at());
            now.put(pair, start);
            if (op.at() - start > SPLIT_BRAIN_MS && violations.stream().noneMatch(v -> v.startsWith(pair))) {
              violations.add(pair + ": two quorate READY rings for " + (op.at() - start) + " ms: "
                + describe(a) + " vs " + describe(b));
            }
          }
        }
      }
      since.clear();
      since.putAll(now);
    }
    return violations;
  }

  /**
   * The nodes never report a state below consensus in the window.
   *
   * @param ops the history
   * @param nodes the nodes that must stay quorate
   * @param from epoch ms
   * @param to epoch ms
   * @return the violations
   */
  static List<String> stayQuorate(List<History.Op> ops, Set<String> nodes, long from, long to) {
    List<String> violations = new ArrayList<>();
    Map<String, Integer> samples = new HashMap<>();
    Map<String, String> first = new HashMap<>();
    for (History.Op op : ops) {
      if (op.at() >= from && op.at() <= to && nodes.contains(op.node()) && op.state() != null
        && !Boolean.TRUE.equals(op.state().getBoolean("quorate"))) {
        samples.merge(op.node(), 1, Integer::sum);
        first.putIfAbsent(op.node(), describe(op));
      }
    }
    first.forEach((n, d) -> violations.add(n + " lost quorum (" + samples.get(n) + " observations, first +"
      + (Long.parseLong(d.substring(d.indexOf('@') + 1, d.indexOf(' '))) - from) + " ms): " + d));
    violations.sort(null);
    return violations;
  }

  /**
   * Every node of {@code nodes} drops below consensus in the window, and none of them serves a quorate
   * READY ring after its drop until the window ends.
   *
   * @param ops the history
   * @param nodes the minority
   * @param from epoch ms (the cut)
   * @param to epoch ms (the heal)
   * @return the violations
   */
  static List<String> loseQuorum(List<History.Op> ops, Set<String> nodes, long from, long to) {
    List<String> violations = new ArrayList<>();
    for (String n : nodes) {
      Long lost = null;
      for (History.Op op : ops) {
        if (!op.node().equals(n) || op.state() == null || op.at() < from || op.at() > to) {
          continue;
        }
        boolean quorate = Boolean.TRUE.equals(op.state().getBoolean("quorate"));
        if (lost == null && !quorate) {
          lost = op.at();
        } else if (lost != null && serving(op.state())) {
          violations.add(n + " served a quorate ring again below consensus: " + describe(op));
          break;
        }
      }
      if (lost == null) {
        violations.add(n + " never lost quorum on the minority side");
      }
    }
    return violations;
  }

  /**
   * Each JGroups view is reflected by the state of each member that installs it (as many members)
   * within {@code graceMs} of the moment the first node installed it, unless a newer view including
   * that member came first, or the member itself installed another view of the same number (the two
   * sides of a cut number their views alike): Cloister's state follows the transport, however late
   * one node hears of it. A member that never installs a view is not held to it: during a cut a
   * minority's view can still list members of the majority, which never receive that view (the
   * split itself is {@link #noSplitBrain}'s to judge).
   *
   * @param ops the history
   * @param from epoch ms
   * @param to epoch ms
   * @param graceMs how soon the state must follow
   * @return the violations
   */
  static List<String> stateFollowsView(List<History.Op> ops, long from, long to, long graceMs) {
    Map<String, String> nodeOf = new HashMap<>();
    Map<String, History.Op> firstSeen = new java.util.LinkedHashMap<>();
    Set<String> installedBy = new java.util.HashSet<>();
    for (History.Op op : ops) {
      if (op.kind().equals("view")) {
        nodeOf.put(op.data().getString("self"), op.node());
        String key = viewKey(op);
        firstSeen.putIfAbsent(key, op);
        installedBy.add(key + " " + op.node());
      }
    }
    List<String> violations = new ArrayList<>();
    for (History.Op view : firstSeen.values()) {
      if (view.at() < from || view.at() > to || view.data().getInteger("id") < 0) {
        continue;
      }
      int size = view.data().getJsonArray("members").size();
      for (Object address : view.data().getJsonArray("members")) {
        String n = nodeOf.get(String.valueOf(address));
        if (n == null || !installedBy.contains(viewKey(view) + " " + n)) {
          continue;
        }
        long deadline = view.at() + graceMs;
        boolean followed = false;
        boolean superseded = false;
        for (History.Op o : ops) {
          if (o.at() < view.at() || o.at() > deadline) {
            continue;
          }
          if (o.node().equals(n) && o.state() != null && o.state().getJsonArray("members").size() == size) {
            followed = true;
            break;
          }
          int id = view.data().getInteger("id");
          if (o != view && o.kind().equals("view") && (o.data().getInteger("id") > id
            && o.data().getJsonArray("members").contains(address)
            // Two sides of a cut number their views alike: a view of the same id but other members,
            // installed by this member itself, is the one it follows.
            || o.node().equals(n) && o.data().getInteger("id") >= id
            && !sorted(o.data().getJsonArray("members")).equals(sorted(view.data().getJsonArray("members"))))
            || o.node().equals(n) && o.kind().equals("exit")) {
            superseded = true;
          }
        }
        if (!followed && !superseded && deadline <= to) {
          History.Op last = null;
          for (History.Op o : ops) {
            if (o.node().equals(n) && o.state() != null && o.at() <= deadline) {
              last = o;
            }
          }
          violations.add(n + " did not follow view " + view.data().getInteger("id") + " of " + size
            + " (first installed by " + view.node() + "@" + view.at() + ") within " + graceMs + " ms; it served "
            + (last == null ? "nothing" : describe(last)));
        }
      }
    }
    return violations;
  }

  /** A view as its number and sorted members: the two sides of a cut number their views alike. */
  private static String viewKey(History.Op view) {
    return view.data().getInteger("id") + " " + sorted(view.data().getJsonArray("members"));
  }

  private static List<String> sorted(JsonArray members) {
    List<String> out = new ArrayList<>();
    members.forEach(m -> out.add(String.valueOf(m)));
    Collections.sort(out);
    return out;
  }

  /**
   * No node's log says Vert.x's blocked-thread checker fired.
   *
   * @param ops the history
   * @return the violations
   */
  static List<String> noBlockedThreads(List<History.Op> ops) {
    return ops.stream().filter(o -> o.kind().equals("stderr")
        && o.data().getString("line", "").contains("has been blocked"))
      .map(o -> o.node() + ": " + o.data().getString("line")).toList();
  }

  private static boolean serving(JsonObject state) {
    return "READY".equals(state.getString("status")) && Boolean.TRUE.equals(state.getBoolean("quorate"));
  }

  static String describe(History.Op op) {
    JsonObject s = op.state();
    return op.node() + "@" + op.at() + " " + s.getString("status") + (Boolean.TRUE.equals(s.getBoolean("quorate"))
      ? " quorate" : " not quorate") + " on " + ProcessCluster.members(s) + " checksum " + s.getString("checksum")
      + (Boolean.TRUE.equals(s.getBoolean("converged")) ? "" : " (not converged)");
  }
}
