package dev.cloister.bench.soak;

import dev.cloister.launcher.NodeMain;
import dev.cloister.launcher.NodeProcess;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Crash chaos soak: N node JVMs on loopback (consensus = majority); in each round one node, chosen at
 * random, is killed with {@code kill -9} or stopped gracefully, then started again at once under the
 * same name and port. The round passes when every live node is READY on exactly the N names, all
 * report the same ring checksum and say {@code converged}: no ghost member, no lost member, no
 * state machine stuck. Prints one row per round (with the most threads of one node JVM then, where
 * a leak of threads shows) and a summary.
 *
 * <p>Run it with {@code bench/run.sh soak [nodes] [rounds] [seed]}; the process test suite runs a
 * short one. Times are measured, never asserted.
 */
public final class CrashSoak {

  /** How long one round may take to converge before it counts as failed. */
  public static final long ROUND_TIMEOUT_MS = 120_000;

  private final int size;
  private final int rounds;
  private final long seed;
  private final PrintStream out;
  private ProcessCluster cluster;

  /**
   * One round's outcome.
   *
   * @param round its number, from 1
   * @param victim the node name killed or stopped
   * @param how {@code kill -9} or {@code stop}
   * @param restartMs from the relaunch of the victim's JVM to its READY
   * @param convergeMs from the kill or stop to one converged ring on all nodes
   * @param threads the most threads of one node JVM once the round converged ({@code /proc}), or -1
   * @param failure why the round failed, or {@code null}
   */
  public record Round(int round, String victim, String how, long restartMs, long convergeMs, int threads,
                      String failure) {
    /** @return whether the round passed */
    public boolean ok() {
      return failure == null;
    }
  }

  /**
   * The soak's outcome.
   *
   * @param nodes the cluster size
   * @param startMs from the launch of all JVMs to one converged ring
   * @param rounds every round
   */
  public record Summary(int nodes, long startMs, List<Round> rounds) {
    /** @return the number of failed rounds */
    public long failed() {
      return rounds.stream().filter(r -> !r.ok()).count();
    }
  }

  private CrashSoak(int size, int rounds, long seed, PrintStream out) {
    this.size = size;
    this.rounds = rounds;
    this.seed = seed;
    this.out = out;
  }

  /**
   * Runs a soak and tears every JVM down.
   *
   * @param nodes how many node JVMs (3 or more)
   * @param rounds how many kill-or-stop rounds
   * @param seed the seed that chooses victims and methods (the run prints it)
   * @param out where the tables go
   * @return the outcome
   * @throws Exception when the cluster cannot even form
   */
  public static Summary run(int nodes, int rounds, long seed, PrintStream out) throws Exception {
    if (nodes < 3) {
      throw new IllegalArgumentException("a soak needs at least 3 nodes, got " + nodes);
    }
    CrashSoak soak = new CrashSoak(nodes, rounds, seed, out);
    try {
      return soak.run();
    } finally {
      if (soak.cluster != null) {
        soak.cluster.close();
      }
    }
  }

  /**
   * Command line: {@code [nodes=5] [rounds=20] [seed=current time]}; exits 1 when a round failed.
   *
   * @param args the arguments
   * @throws Exception when the cluster cannot form
   */
  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    long seed = args.length > 2 ? Long.parseLong(args[2]) : System.currentTimeMillis();
    Summary s = run(nodes, rounds, seed, System.out);
    System.exit(s.failed() == 0 ? 0 : 1);
  }

  private Summary run() throws Exception {
    out.printf("Crash soak: %d node JVMs, consensus %d, %d rounds, seed %d, %d cores%n", size, consensus(), rounds,
      seed, Runtime.getRuntime().availableProcessors());
    long t0 = System.currentTimeMillis();
    cluster = new ProcessCluster("soak", size, consensus(), Map.of(), NodeMain.class.getName());
    String startFailure = awaitConverged(t0 + 180_000);
    if (startFailure != null) {
      throw new IllegalStateException("the cluster never formed: " + startFailure);
    }
    long startMs = System.currentTimeMillis() - t0;
    out.printf("cluster of %d converged %d ms after launch%n%n", size, startMs);
    out.printf("| %5s | %-8s | %-7s | %12s | %13s | %19s | %-6s |%n", "round", "victim", "how", "restart (ms)",
      "converge (ms)", "threads (max node)", "result");
    out.printf("|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(7), "-".repeat(10), "-".repeat(9), "-".repeat(14),
      "-".repeat(15), "-".repeat(21), "-".repeat(8));
    Random random = new Random(seed);
    List<Round> done = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      Round round = round(r, random.nextInt(size), random.nextBoolean());
      done.add(round);
      out.printf("| %5d | %-8s | %-7s | %12s | %13s | %19s | %-6s |%n", r, round.victim, round.how,
        round.restartMs < 0 ? "-" : String.valueOf(round.restartMs), round.ok() ? String.valueOf(round.convergeMs) : "-",
        round.threads < 0 ? "-" : String.valueOf(round.threads), round.ok() ? "ok" : "FAILED");
      if (!round.ok()) {
        out.println("        " + round.failure);
        // A failed round leaves the cluster in an unknown state: later rounds would only repeat it.
        break;
      }
    }
    Summary s = new Summary(size, startMs, List.copyOf(done));
    printSummary(s);
    return s;
  }

  private Round round(int number, int index, boolean kill) throws IOException {
    NodeProcess victim = cluster.node(index);
    String name = cluster.nodeName(index);
    String how = kill ? "kill -9" : "stop";
    long t0 = System.currentTimeMillis();
    if (kill) {
      victim.kill9();
    } else if (!victim.stop()) {
      victim.kill9();
      return new Round(number, name, how, -1, -1, -1, name + " did not exit within 30 s of a graceful stop");
    }
    long relaunched = System.currentTimeMillis();
    NodeProcess successor = cluster.relaunch(index);
    String failure = awaitConverged(t0 + ROUND_TIMEOUT_MS);
    long convergeMs = System.currentTimeMillis() - t0;
    long restartMs = -1;
    for (JsonObject e : successor.events()) {
      if ("READY".equals(e.getString("to"))) {
        restartMs = e.getLong("at") - relaunched;
        break;
      }
    }
    return new Round(number, name, how, restartMs, convergeMs, mostThreads(), failure);
  }

  /** @return the most threads of one live node JVM, from {@code /proc/<pid>/status}; -1 if unreadable */
  private int mostThreads() {
    int most = -1;
    for (int i = 0; i < size; i++) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(cluster.node(i).pid()), "status"))) {
          if (line.startsWith("Threads:")) {
            most = Math.max(most, Integer.parseInt(line.substring("Threads:".length()).trim()));
          }
        }
      } catch (IOException | RuntimeException notReadable) {
        // not Linux, or the JVM just went: the column shows what could be read
      }
    }
    return most;
  }

  /** Polls every node until all are READY on every name with one converged checksum. */
  private String awaitConverged(long deadline) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      all.add(i);
    }
    return cluster.awaitRing(all, cluster.names(), deadline);
  }

  private int consensus() {
    return size / 2 + 1;
  }

  private void printSummary(Summary s) {
    out.printf("%nSummary: %d nodes, %d rounds run, %d failed, seed %d%n", s.nodes, s.rounds.size(), s.failed(), seed);
    for (String how : List.of("kill -9", "stop")) {
      List<Long> converge = new ArrayList<>();
      List<Long> restart = new ArrayList<>();
      for (Round r : s.rounds) {
        if (r.ok() && r.how.equals(how)) {
          converge.add(r.convergeMs);
          if (r.restartMs >= 0) {
            restart.add(r.restartMs);
          }
        }
      }
      out.printf("  %-7s x %3d: converge p50 %s, p95 %s, max %s ms; restart -> READY p50 %s, max %s ms%n", how,
        converge.size(), pct(converge, 50), pct(converge, 95), pct(converge, 100), pct(restart, 50), pct(restart, 100));
    }
  }

  private static String pct(List<Long> values, int p) {
    if (values.isEmpty()) {
      return "-";
    }
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.size()) - 1;
    return String.valueOf(s.get(Math.max(0, Math.min(s.size() - 1, rank))));
  }
}
