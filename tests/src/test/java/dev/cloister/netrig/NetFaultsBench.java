package dev.cloister.netrig;

import dev.cloister.bench.soak.PartitionBench;
import io.vertx.core.json.JsonObject;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Times to each transition under real network faults ({@link Rig}: five node JVMs in namespaces,
 * consensus 3, protect) beside the same faults injected inside JGroups on loopback
 * ({@link PartitionBench}). Tables only: {@code bench/run.sh netfaults [runs]} (runs of the
 * partition; the pause runs once).
 */
public final class NetFaultsBench {

  private static final Set<String> FIVE = new TreeSet<>(List.of("n1", "n2", "n3", "n4", "n5"));
  private static final long BOUND_MS = 60_000;
  private static final long PAUSE_BOUND_MS = 30_000;

  private final Rig rig;
  private final History history;
  private final Map<String, List<Long>> times = new LinkedHashMap<>();
  private final Map<String, List<String>> failures = new LinkedHashMap<>();

  private NetFaultsBench(Rig rig, History history) {
    this.rig = rig;
    this.history = history;
  }

  /**
   * Command line: {@code [runs=3]}.
   *
   * @param args the arguments
   * @throws Exception when a cluster cannot form
   */
  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    String why = Rig.unavailable();
    if (why != null) {
      System.out.println("netfaults: " + why);
      System.exit(2);
    }
    System.out.printf("Faults on 5 node JVMs, consensus 3, protect; %d runs each, %d cores%n",
      runs, Runtime.getRuntime().availableProcessors());
    System.out.println("in-JVM: the existing partition bench (loopback, messages dropped inside JGroups) ...");
    List<PartitionBench.Run> inJvm = PartitionBench.run(runs, new PrintStream(OutputStream.nullOutputStream()));
    System.out.println("real network: namespaces, bridges, SIGSTOP ...");
    History history = new History(Path.of("target", "netrig", "netfaults.jsonl"));
    try (Rig rig = new Rig(history, Map.of("CLOISTER_APP", "netfaults", "CLOISTER_CONSENSUS", "3",
      "CLOISTER_QUORUM_LOSS_POLICY", "protect"))) {
      for (int i = 1; i <= 5; i++) {
        rig.startNode(i, true);
      }
      String formed = rig.awaitRing(FIVE, 150_000);
      if (formed != null) {
        throw new IllegalStateException("the cluster never formed: " + formed);
      }
      NetFaultsBench b = new NetFaultsBench(rig, history);
      for (int r = 0; r < runs; r++) {
        b.partition();
      }
      // One pause, longer than the failure-detection bound (3.5 s), so that the others exclude it.
      b.pause(5_000);
      b.print(inJvm);
    }
  }

  private void partition() {
    Set<String> minority = Set.of("n1", "n2");
    Set<String> majority = Set.of("n3", "n4", "n5");
    long cut = System.currentTimeMillis();
    rig.partition(minority);
    String ring = rig.awaitRing(majority, BOUND_MS);
    awaitStates(minority, s -> !Boolean.TRUE.equals(s.getBoolean("quorate")));
    long heal = System.currentTimeMillis();
    rig.heal();
    String healed = rig.awaitRing(FIVE, BOUND_MS);
    long done = System.currentTimeMillis();
    record("partition 2+3", "cut -> minority not quorate", latest(minority, cut, heal,
      s -> !Boolean.TRUE.equals(s.getBoolean("quorate"))), cut);
    record("partition 2+3", "cut -> majority READY on 3", ring == null ? latest(majority, cut, heal,
      s -> "READY".equals(s.getString("status")) && s.getJsonArray("members").size() == 3) : -1, cut);
    record("partition 2+3", "cut -> majority ever not quorate", -2, cut);
    if (!Invariants.stayQuorate(history.ops(), majority, cut, heal).isEmpty()) {
      failures.computeIfAbsent("partition 2+3", k -> new ArrayList<>()).add("majority lost quorum");
    }
    record("partition 2+3", "heal -> one converged ring of 5", healed == null ? done : -1, heal);
    recoverIfNeeded(healed);
  }

  private void pause(long pauseMs) {
    Set<String> four = new TreeSet<>(FIVE);
    four.remove("n5");
    long stop = System.currentTimeMillis();
    rig.node("n5").signal("STOP");
    history.fault("pause", "n5 for " + pauseMs + " ms");
    long end = stop + pauseMs;
    while (System.currentTimeMillis() < end) {
      rig.sample(four);
      Rig.pause(200);
    }
    rig.node("n5").signal("CONT");
    long resumed = System.currentTimeMillis();
    String healed = rig.awaitRing(FIVE, PAUSE_BOUND_MS);
    long done = System.currentTimeMillis();
    String name = "pause n5 " + pauseMs / 1000 + " s";
    record(name, "SIGSTOP -> the others READY on 4", latest(four, stop, resumed,
      s -> "READY".equals(s.getString("status")) && s.getJsonArray("members").size() == 4), stop);
    record(name, "SIGCONT -> one converged ring of 5", healed == null ? done : -1, resumed);
    if (!Invariants.noSplitBrain(history.ops(), stop, done).isEmpty()) {
      failures.computeIfAbsent(name, k -> new ArrayList<>()).add("split brain");
    }
    recoverIfNeeded(healed);
  }

  /** A run that left two rings behind must not spoil the next: restart the nodes. */
  private void recoverIfNeeded(String healed) {
    if (healed == null) {
      return;
    }
    try {
      for (String n : FIVE) {
        rig.node(n).kill();
        rig.startNode(Integer.parseInt(n.substring(1)), false);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    if (rig.awaitRing(FIVE, 150_000) != null) {
      throw new IllegalStateException("the cluster did not form again");
    }
  }

  private void awaitStates(Set<String> nodes, Predicate<JsonObject> match) {
    long deadline = System.currentTimeMillis() + BOUND_MS;
    while (System.currentTimeMillis() < deadline) {
      if (rig.sample(nodes).values().stream().allMatch(s -> s != null && match.test(s))) {
        return;
      }
      Rig.pause(100);
    }
  }

  /** The latest, over {@code nodes}, of each one's first state matching after {@code from}; -1 if one never did. */
  private long latest(Set<String> nodes, long from, long to, Predicate<JsonObject> match) {
    long latest = 0;
    for (String n : nodes) {
      long first = -1;
      for (History.Op op : history.since(from, o -> o.node().equals(n) && o.state() != null)) {
        if (op.at() <= to + BOUND_MS && match.test(op.state())) {
          first = op.at();
          break;
        }
      }
      if (first < 0) {
        return -1;
      }
      latest = Math.max(latest, first);
    }
    return latest;
  }

  private void record(String scenario, String transition, long at, long from) {
    if (at == -2) {
      return;
    }
    times.computeIfAbsent(scenario + "\t" + transition, k -> new ArrayList<>()).add(at < 0 ? -1 : at - from);
  }

  private void print(List<PartitionBench.Run> inJvm) {
    Map<String, String> jvm = Map.of(
      "partition 2+3\tcut -> minority not quorate", stat(inJvm, PartitionBench.Run::minorityMs),
      "partition 2+3\tcut -> majority READY on 3", stat(inJvm, PartitionBench.Run::majorityMs),
      "partition 2+3\theal -> one converged ring of 5", stat(inJvm, PartitionBench.Run::healMs));
    System.out.printf("%n| %-14s | %-36s | %-28s | %-26s |%n", "scenario", "transition",
      "real network, median / max", "in-JVM, median / max");
    System.out.printf("|%s|%s|%s|%s|%n", "-".repeat(16), "-".repeat(38), "-".repeat(30), "-".repeat(28));
    times.forEach((key, values) -> {
      String[] k = key.split("\t");
      System.out.printf("| %-14s | %-36s | %-28s | %-26s |%n", k[0], k[1], stat(values), jvm.getOrDefault(key, "-"));
    });
    System.out.println();
    System.out.println("Times in ms from the fault (or its end) to the transition on the last node concerned;");
    System.out.println("'never' counts the runs that did not reach it within " + BOUND_MS / 1000 + " s ("
      + PAUSE_BOUND_MS / 1000 + " s after a pause); the pause runs once.");
    failures.forEach((s, f) -> System.out.println(s + ": " + f.size() + " run(s) with " + new TreeSet<>(f)));
  }

  private static String stat(List<Long> values) {
    List<Long> ok = new ArrayList<>(values.stream().filter(v -> v >= 0).toList());
    long never = values.size() - ok.size();
    if (ok.isEmpty()) {
      return "never (" + never + " of " + values.size() + ")";
    }
    Collections.sort(ok);
    return ok.get((ok.size() - 1) / 2) + " / " + ok.get(ok.size() - 1) + (never > 0 ? ", never " + never + "/" + values.size() : "");
  }

  private static String stat(List<PartitionBench.Run> runs, ToLongFunction<PartitionBench.Run> f) {
    List<Long> v = new ArrayList<>();
    runs.forEach(r -> v.add(r.failure() == null ? f.applyAsLong(r) : -1));
    return stat(v);
  }
}
