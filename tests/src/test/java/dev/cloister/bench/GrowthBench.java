package dev.cloister.bench;

import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.junit5.internal.Partitioner;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.LogManager;

import static dev.cloister.testing.InJvmCluster.await;

/**
 * How Cloister's costs grow with the cluster: for 3, 6, 9 and 12 nodes (several clustered Vert.x
 * in one JVM, so the nodes share this machine's cores and the curve is pessimistic; consensus
 * N - 2, so that the nodes left after both departures stay READY), the time from starting every
 * node to all READY on N members, from a graceful leave to the survivors
 * READY on N - 1, and from one node cut off (it drops every message both ways, as a hung host)
 * to the others READY without it. Prints a table; asserts nothing.
 *
 * <pre>bench/run.sh growth [rounds] [sizes...]</pre>
 */
public final class GrowthBench {

  private GrowthBench() {
  }

  /**
   * Runs the benchmark.
   *
   * @param args rounds (default 2), then the cluster sizes (default 3 6 9 12)
   * @throws Exception when a cluster cannot start
   */
  public static void main(String[] args) throws Exception {
    try (InputStream in = GrowthBench.class.getResourceAsStream("/logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(3, 6, 9, 12);
    }
    List<String> rows = new ArrayList<>();
    for (int n : sizes) {
      List<Long> form = new ArrayList<>();
      List<Long> leave = new ArrayList<>();
      List<Long> cut = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        long[] t = round(n);
        form.add(t[0]);
        leave.add(t[1]);
        cut.add(t[2]);
      }
      rows.add(String.format("| %d | %d | %s | %s | %s |", n, consensus(n), median(form), median(leave),
        median(cut)));
    }
    System.out.printf("%nGrowth, nodes in one JVM, %d rounds, %d cores: median (min-max) ms%n%n", rounds,
      Runtime.getRuntime().availableProcessors());
    System.out.println("| nodes | consensus | start all → all READY on N | graceful leave → survivors READY on N-1 "
      + "| one node cut off → the others READY on N-2 |");
    System.out.println("|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    // Closed nodes can leave non-daemon threads behind: the run ends here.
    System.exit(0);
  }

  /** One cluster of {@code n}: formation, a leave, a cut-off node; the three times in ms. */
  private static long[] round(int n) throws Exception {
    try (InJvmCluster cluster = new InJvmCluster(n)) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        cluster.start(i, cluster.options(i, consensus(n)));
      }
      List<Node> nodes = new ArrayList<>(cluster.nodes());
      long formed = until(nodes, n, start, 180_000);
      nodes.forEach(x -> await(x.deployment));
      System.out.printf("%d nodes formed in %d ms%n", n, formed);

      Node leaving = nodes.remove(nodes.size() - 1);
      long t0 = System.nanoTime();
      cluster.stop(leaving);
      long left = until(nodes, n - 1, t0, 60_000);

      Node hung = nodes.remove(nodes.size() - 1);
      Partitioner p = Partitioner.of(hung.vertx);
      long t1 = System.nanoTime();
      p.isolateFromAll();
      long cutOff = until(nodes, n - 2, t1, 60_000);
      return new long[] {formed, left, cutOff};
    }
  }

  /** As high as lets the N - 2 nodes left after both departures stay READY. */
  private static int consensus(int n) {
    return Math.max(1, n - 2);
  }

  /** Ms from {@code since} until every node is READY on {@code members} members. */
  private static long until(List<Node> nodes, int members, long since, long timeoutMs) throws InterruptedException {
    long deadline = since + timeoutMs * 1_000_000L;
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (Node x : nodes) {
        CloisterState s = x.state();
        if (s.getStatus() != CloisterStatus.READY || s.getMembers().size() != members) {
          all = false;
          break;
        }
      }
      if (all) {
        return (System.nanoTime() - since) / 1_000_000L;
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("not all READY on " + members + " members after " + timeoutMs + " ms");
  }

  private static String median(List<Long> values) {
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    return s.get(s.size() / 2) + " (" + s.get(0) + "–" + s.get(s.size() - 1) + ")";
  }
}
