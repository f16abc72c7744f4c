package dev.cloister.bench.ring;

import dev.cloister.impl.ring.HashRing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Prints, for every algorithm, the balance of 1M keys, the keys moved by joins and leaves
 * against the ideal, and the rebuild time and heap of a 1000-node structure. Asserts nothing.
 */
public final class RingQuality {

  private static final int KEYS = 1_000_000;
  private static final int EVENTS = 3;

  private RingQuality() {
  }

  public static void main(String[] args) {
    // Rebuilds first, while the heap is empty: a million live keys would bill their GC copying to the build.
    System.out.println("== Rebuild at N = 1000 (median of 9 after 5 warm-up builds) and retained heap ==");
    System.out.printf("%-11s %12s %10s%n", "algorithm", "rebuild ms", "heap MB");
    for (Algorithm algorithm : Algorithm.values()) {
      rebuild(algorithm);
    }
    System.out.println();
    String[] keys = RingLookupBenchmark.keys(KEYS, 7L);
    System.out.println("== Balance and movement, " + KEYS + " String keys; moved/ideal is the mean (max)"
      + " over " + EVENTS + " events, ideal = 1/N for a leave and 1/(N+1) for a join;");
    System.out.println("   stray = keys that moved between two nodes that both stayed, as a fraction of all keys ==");
    System.out.printf("%-11s %5s %9s %18s %11s %18s %10s%n",
      "algorithm", "N", "max/mean", "leave moved/ideal", "leave stray", "join moved/ideal", "join stray");
    for (Algorithm algorithm : Algorithm.values()) {
      for (int n : new int[] {10, 100, 1000}) {
        quality(algorithm, n, keys);
      }
    }
    System.out.println();
    System.out.println("== Cloister's ring by vnodes: max/mean over the same keys, rebuild and heap at N = 1000 ==");
    System.out.printf("%7s %13s %14s %15s %16s %10s%n",
      "vnodes", "max/mean N=10", "max/mean N=100", "max/mean N=1000", "rebuild ms N=1000", "heap MB");
    for (int vnodes : new int[] {256, 1024, 2048, 4096, 8192}) {
      vnodesRow(vnodes, keys);
    }
  }

  private static void vnodesRow(int vnodes, String[] keys) {
    double[] balance = new double[3];
    int[] sizes = {10, 100, 1000};
    for (int s = 0; s < sizes.length; s++) {
      HashRing ring = HashRing.of(members(sizes[s]), vnodes);
      Map<String, Integer> load = new HashMap<>();
      for (String key : keys) {
        load.merge(ring.owner(key), 1, Integer::sum);
      }
      int max = load.values().stream().mapToInt(Integer::intValue).max().orElse(0);
      balance[s] = max / (keys.length / (double) sizes[s]);
    }
    double[] cost = rebuildCost(m -> {
      HashRing built = HashRing.of(m, vnodes);
      return built::owner;
    });
    System.out.printf("%7d %13.3f %14.3f %15.3f %16.1f %10.1f%n", vnodes, balance[0], balance[1], balance[2], cost[0], cost[1]);
  }

  static List<String> members(int n) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add("cloister-node-" + i + "@10.0.0." + (i % 250));
    }
    return members;
  }

  private static String[] owners(Algorithm.Ring ring, String[] keys) {
    String[] owners = new String[keys.length];
    for (int i = 0; i < keys.length; i++) {
      owners[i] = ring.owner(keys[i]);
    }
    return owners;
  }

  private static void quality(Algorithm algorithm, int n, String[] keys) {
    List<String> members = members(n);
    String[] before = owners(algorithm.build(members), keys);
    Map<String, Integer> load = new HashMap<>();
    for (String owner : before) {
      load.merge(owner, 1, Integer::sum);
    }
    int max = load.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    double maxOverMean = max / (keys.length / (double) n);

    Random random = new Random(n);
    double[] leave = new double[EVENTS];
    long leaveStray = 0;
    for (int e = 0; e < EVENTS; e++) {
      String gone = members.get(random.nextInt(n));
      List<String> rest = new ArrayList<>(members);
      rest.remove(gone);
      String[] after = owners(algorithm.build(rest), keys);
      int moved = 0;
      for (int i = 0; i < keys.length; i++) {
        if (!before[i].equals(after[i])) {
          moved++;
          if (!before[i].equals(gone)) {
            leaveStray++;
          }
        }
      }
      leave[e] = moved / (double) keys.length * n;
    }
    double[] join = new double[EVENTS];
    long joinStray = 0;
    for (int e = 0; e < EVENTS; e++) {
      String joiner = "cloister-node-joining-" + e + "@10.0.1." + e;
      List<String> more = new ArrayList<>(members);
      more.add(joiner);
      String[] after = owners(algorithm.build(more), keys);
      int moved = 0;
      for (int i = 0; i < keys.length; i++) {
        if (!before[i].equals(after[i])) {
          moved++;
          if (!after[i].equals(joiner)) {
            joinStray++;
          }
        }
      }
      join[e] = moved / (double) keys.length * (n + 1);
    }
    System.out.printf("%-11s %5d %9.3f %18s %11.4f %18s %10.4f%n", algorithm.name().toLowerCase(), n, maxOverMean,
      meanMax(leave), leaveStray / (double) (EVENTS * keys.length),
      meanMax(join), joinStray / (double) (EVENTS * keys.length));
  }

  private static String meanMax(double[] values) {
    double mean = Arrays.stream(values).average().orElse(0);
    double max = Arrays.stream(values).max().orElse(0);
    return String.format("%.3f (%.3f)", mean, max);
  }

  private static void rebuild(Algorithm algorithm) {
    double[] cost = rebuildCost(algorithm::build);
    System.out.printf("%-11s %12.1f %10.1f%n", algorithm.name().toLowerCase(), cost[0], cost[1]);
  }

  /** The median build time in ms at N = 1000 and the heap in MB that one built structure retains. */
  private static double[] rebuildCost(Function<List<String>, Algorithm.Ring> builder) {
    List<String> members = members(1000);
    for (int i = 0; i < 5; i++) {
      builder.apply(members);
    }
    long[] times = new long[9];
    for (int i = 0; i < times.length; i++) {
      long start = System.nanoTime();
      builder.apply(members);
      times[i] = System.nanoTime() - start;
    }
    Arrays.sort(times);
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long used = rt.totalMemory() - rt.freeMemory();
    Algorithm.Ring kept = builder.apply(members);
    System.gc();
    long retained = rt.totalMemory() - rt.freeMemory() - used;
    if (kept.owner("keep-alive") == null) {
      throw new AssertionError("unreachable: every ring has an owner");
    }
    return new double[] {times[4] / 1e6, Math.max(0, retained) / 1e6};
  }
}
