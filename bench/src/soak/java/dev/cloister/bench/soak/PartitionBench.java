package dev.cloister.bench.soak;

import dev.cloister.launcher.NodeProcess;
import dev.cloister.junit5.internal.FaultNodeMain;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Partitions across processes: five node JVMs, consensus 3, {@code quorumLossPolicy=protect}, split
 * 3 + 2 and healed again, {@code runs} times on the same cluster. Each run checks that the minority
 * drops below consensus and refuses whois with 503, that the majority stays READY on its three, and
 * that the healed cluster is one converged ring of five; it measures
 * <ul>
 *   <li>split → both minority nodes not quorate (their transition's own timestamp);</li>
 *   <li>split → the majority READY and converged on three (polled every 100 ms);</li>
 *   <li>heal → all five READY and converged on one checksum (polled every 100 ms).</li>
 * </ul>
 * Run it with {@code bench/run.sh partition [runs]}.
 */
public final class PartitionBench {

  private static final List<Integer> MAJORITY = List.of(0, 1, 2);
  private static final List<Integer> MINORITY = List.of(3, 4);
  private static final List<Integer> ALL = List.of(0, 1, 2, 3, 4);
  private static final long BOUND_MS = 90_000;

  private PartitionBench() {
  }

  /**
   * One split-and-heal.
   *
   * @param minorityMs split → minority not quorate
   * @param majorityMs split → majority converged on three
   * @param healMs heal → one converged ring of five
   * @param failure what went wrong, or {@code null}
   */
  public record Run(long minorityMs, long majorityMs, long healMs, String failure) {
  }

  /**
   * Command line: {@code [runs=5]}; exits 1 when a run failed.
   *
   * @param args the arguments
   * @throws Exception when the cluster cannot form
   */
  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    List<Run> done = run(runs, System.out);
    System.exit(done.stream().allMatch(r -> r.failure == null) ? 0 : 1);
  }

  /**
   * Starts the cluster, splits and heals it {@code runs} times, prints a table, stops the cluster.
   *
   * @param runs how many split-and-heal cycles
   * @param out where the table goes
   * @return every run, up to the first failed one
   * @throws Exception when the cluster cannot form
   */
  public static List<Run> run(int runs, PrintStream out) throws Exception {
    try (ProcessCluster cluster = new ProcessCluster("part", 5, 3, Map.of("CLOISTER_QUORUM_LOSS_POLICY", "protect"),
      FaultNodeMain.class.getName())) {
      String formed = cluster.awaitRing(ALL, cluster.names(), System.currentTimeMillis() + 180_000);
      if (formed != null) {
        throw new IllegalStateException("the cluster never formed: " + formed);
      }
      out.printf("Partition 3 + 2 of 5 node JVMs, consensus 3, protect; %d runs, %d cores (ms)%n%n", runs,
        Runtime.getRuntime().availableProcessors());
      out.printf("| %3s | %-36s | %-36s | %-32s | %-6s |%n", "run", "split -> minority not quorate",
        "split -> majority converged on 3", "heal -> one converged ring of 5", "result");
      out.printf("|%s|%s|%s|%s|%s|%n", "-".repeat(5), "-".repeat(38), "-".repeat(38), "-".repeat(34), "-".repeat(8));
      List<Run> done = new ArrayList<>();
      for (int i = 1; i <= runs; i++) {
        Run r = splitAndHeal(cluster);
        done.add(r);
        out.printf("| %3d | %36s | %36s | %32s | %-6s |%n", i, r.minorityMs, r.majorityMs, r.healMs,
          r.failure == null ? "ok" : "FAILED");
        if (r.failure != null) {
          out.println("      " + r.failure);
          break;
        }
      }
      out.printf("%nmedian / max: minority not quorate %s, majority on 3 %s, healed ring of 5 %s%n",
        stat(done, Run::minorityMs), stat(done, Run::majorityMs), stat(done, Run::healMs));
      return done;
    }
  }

  private static String stat(List<Run> runs, java.util.function.ToLongFunction<Run> f) {
    List<Long> v = new ArrayList<>();
    runs.stream().filter(r -> r.failure == null).forEach(r -> v.add(f.applyAsLong(r)));
    if (v.isEmpty()) {
      return "-";
    }
    Collections.sort(v);
    return v.get((v.size() - 1) / 2) + " / " + v.get(v.size() - 1) + " ms";
  }

  /**
   * Splits the running five-node cluster 3 + 2, checks both sides, heals it and waits for one ring.
   *
   * @param cluster a converged cluster of five with the fault commands enabled
   * @return the measurements, with a failure when a check did not hold
   */
  public static Run splitAndHeal(ProcessCluster cluster) {
    List<Integer> marks = new ArrayList<>();
    ALL.forEach(i -> marks.add(cluster.node(i).events().size()));
    String minorityAddresses = String.join(",", MINORITY.stream().map(cluster::address).toList());
    String majorityAddresses = String.join(",", MAJORITY.stream().map(cluster::address).toList());
    long t0 = System.currentTimeMillis();
    for (int i : ALL) {
      JsonObject e = cluster.ask(cluster.node(i), "partition " + (MAJORITY.contains(i) ? minorityAddresses
        : majorityAddresses), "partitioned");
      if (e == null) {
        return new Run(-1, -1, -1, cluster.nodeName(i) + " did not take the partition command");
      }
    }
    Set<String> minorityNames = names(cluster, MINORITY);
    String minority = cluster.awaitStates(MINORITY, t0 + BOUND_MS, states -> {
      for (JsonObject s : states) {
        if (!"REHASHING".equals(s.getString("status")) || Boolean.TRUE.equals(s.getBoolean("quorate"))
          || !ProcessCluster.members(s).equals(minorityNames)) {
          return s.getString("node") + " is " + s.getString("status") + " on " + ProcessCluster.members(s);
        }
      }
      return null;
    });
    if (minority != null) {
      return new Run(-1, -1, -1, "the minority never fell below consensus: " + minority);
    }
    long minorityMs = 0;
    for (int i : MINORITY) {
      NodeProcess n = cluster.node(i);
      List<JsonObject> events = n.events();
      for (int k = marks.get(i); k < events.size(); k++) {
        JsonObject e = events.get(k);
        if ("REHASHING".equals(e.getString("to")) && !e.getJsonObject("state").getBoolean("quorate")) {
          minorityMs = Math.max(minorityMs, e.getLong("at") - t0);
          break;
        }
      }
    }
    for (int i : MINORITY) {
      JsonObject w = cluster.ask(cluster.node(i), "whois some-key", "whois");
      if (w == null || w.getInteger("code", 0) != 503) {
        return new Run(minorityMs, -1, -1, cluster.nodeName(i) + " answered whois below consensus: " + w);
      }
    }
    String majority = cluster.awaitRing(MAJORITY, names(cluster, MAJORITY), t0 + BOUND_MS);
    long majorityMs = System.currentTimeMillis() - t0;
    if (majority != null) {
      return new Run(minorityMs, -1, -1, "the majority never converged on three: " + majority);
    }
    JsonObject w = cluster.ask(cluster.node(0), "whois some-key", "whois");
    if (w == null || w.getString("node") == null) {
      return new Run(minorityMs, majorityMs, -1, "the majority did not answer whois: " + w);
    }

    long t1 = System.currentTimeMillis();
    for (int i : ALL) {
      if (cluster.ask(cluster.node(i), "heal", "healed") == null) {
        return new Run(minorityMs, majorityMs, -1, cluster.nodeName(i) + " did not take the heal command");
      }
    }
    String healed = cluster.awaitRing(ALL, cluster.names(), t1 + BOUND_MS);
    long healMs = System.currentTimeMillis() - t1;
    if (healed != null) {
      return new Run(minorityMs, majorityMs, -1, "the healed cluster never converged: " + healed);
    }
    String owner = null;
    for (int i : ALL) {
      JsonObject o = cluster.ask(cluster.node(i), "whois some-key", "whois");
      String node = o == null ? null : o.getString("node");
      if (node == null || (owner != null && !owner.equals(node))) {
        return new Run(minorityMs, majorityMs, healMs, "whois differs after the heal: " + owner + " vs " + o);
      }
      owner = node;
    }
    return new Run(minorityMs, majorityMs, healMs, null);
  }

  private static Set<String> names(ProcessCluster cluster, List<Integer> indexes) {
    Set<String> names = new TreeSet<>();
    indexes.forEach(i -> names.add(cluster.nodeName(i)));
    return names;
  }
}
