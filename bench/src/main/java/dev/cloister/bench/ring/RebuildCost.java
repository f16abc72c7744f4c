package dev.cloister.bench.ring;

import dev.cloister.impl.ring.HashRing;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Prints what a ring rebuild costs at 10, 100 and 1000 members: the time of a full build and of
 * the rebuild after one join and after one leave (p50), the ring's balance, the bytes one ring
 * retains (its arrays, and in G1's heap) and the bytes one build allocates. Asserts nothing.
 */
public final class RebuildCost {

  private static final int[] SIZES = {10, 100, 1000};
  private static final int WARMUP = 10;
  private static final int RUNS = 21;

  private RebuildCost() {
  }

  /**
   * Prints the table.
   *
   * @param args the vnodes to measure, one row group each (default {@link HashRing#DEFAULT_VNODES})
   */
  public static void main(String[] args) {
    int[] vnodes = args.length == 0 ? new int[] {HashRing.DEFAULT_VNODES}
      : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    // Compiles every loop for every size before the first timing: a loop compiled for one size
    // alone is compiled again, slowly at first, when the next size comes.
    for (int v : vnodes) {
      for (int n : SIZES) {
        p50(kinds(n, v));
      }
    }
    System.out.println("== Ring rebuild cost: p50 of " + RUNS + " builds after " + WARMUP + " warm-up builds;"
      + " join and leave rebuild from the ring before them; max/mean = the largest member's exact share"
      + " of the key space over the mean; arrays = the bytes of a ring's arrays; heap = what one ring"
      + " retains in G1's heap; alloc = the bytes one build allocates ==");
    System.out.printf("| %7s | %6s | %9s | %8s | %8s | %8s | %8s | %9s | %7s | %13s | %13s |%n", "members", "vnodes",
      "points", "max/mean", "full ms", "join ms", "leave ms", "arrays MB", "heap MB", "alloc full MB", "alloc join MB");
    System.out.println("|--------:|-------:|----------:|---------:|---------:|---------:|---------:|----------:|--------:"
      + "|--------------:|--------------:|");
    for (int v : vnodes) {
      for (int n : SIZES) {
        row(n, v);
      }
    }
  }

  private static void row(int n, int vnodes) {
    List<String> members = RingQuality.members(n);
    double[] p50 = p50(kinds(n, vnodes));
    HashRing ring = HashRing.of(members, vnodes);
    double maxShare = Arrays.stream(ring.shares()).max().orElse(0);
    HashRing previous = HashRing.of(members.subList(1, n), vnodes);
    System.out.printf("| %7d | %6d | %9d | %8.3f | %8.2f | %8.2f | %8.2f | %9.2f | %7.2f | %13.2f | %13.2f |%n", n,
      vnodes, (long) n * vnodes, maxShare * n, p50[0], p50[1], p50[2], arraysMb(ring), heapMb(members, vnodes),
      allocatedMb(() -> HashRing.of(members, vnodes)), allocatedMb(() -> rebuild(previous, members)));
  }

  /**
   * A full build, the rebuild after a join and the rebuild after a leave, of the member at a
   * varying place in the sorted order.
   */
  private static SetUp[] kinds(int n, int vnodes) {
    List<String> members = RingQuality.members(n);
    int[] turn = {0};
    SetUp full = () -> () -> HashRing.of(members, vnodes);
    SetUp join = () -> {
      List<String> before = new ArrayList<>(members);
      before.remove(turn[0]++ * 7919 % n);
      HashRing previous = HashRing.of(before, vnodes);
      return () -> rebuild(previous, members);
    };
    SetUp leave = () -> {
      HashRing previous = HashRing.of(members, vnodes);
      List<String> after = new ArrayList<>(members);
      after.remove(turn[0]++ * 7919 % n);
      return () -> rebuild(previous, after);
    };
    return new SetUp[] {full, join, leave};
  }

  /** How a node rebuilds a ring when its members change: from the ring before. */
  private static HashRing rebuild(HashRing previous, List<String> members) {
    return previous.rebuild(members);
  }

  /**
   * The median time in ms of each kind of build, taken in turns so that the machine's load weighs
   * on each alike; each build starts from a state made outside the timing.
   */
  private static double[] p50(SetUp... kinds) {
    long[][] times = new long[kinds.length][RUNS];
    for (int i = -WARMUP; i < RUNS; i++) {
      for (int k = 0; k < kinds.length; k++) {
        Supplier<HashRing> build = kinds[k].next();
        long start = System.nanoTime();
        HashRing ring = build.get();
        long took = System.nanoTime() - start;
        if (ring.isEmpty()) {
          throw new AssertionError("unreachable: every ring here has members");
        }
        if (i >= 0) {
          times[k][i] = took;
        }
      }
    }
    double[] p50 = new double[kinds.length];
    for (int k = 0; k < kinds.length; k++) {
      Arrays.sort(times[k]);
      p50[k] = times[k][RUNS / 2] / 1e6;
    }
    return p50;
  }

  /** Prepares one timed build. */
  private interface SetUp {
    Supplier<HashRing> next();
  }

  /**
   * The bytes of the arrays a ring holds, in MB, with their 16-byte headers and 4-byte references:
   * what the ring retains apart from G1's rounding of large arrays to whole regions.
   */
  private static double arraysMb(HashRing ring) {
    long bytes = 0;
    for (Field field : HashRing.class.getDeclaredFields()) {
      if (field.getType().isArray() && !Modifier.isStatic(field.getModifiers())) {
        field.setAccessible(true);
        Object array;
        try {
          array = field.get(ring);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
        Class<?> type = field.getType().getComponentType();
        int width = type == long.class || type == double.class ? 8 : type == short.class || type == char.class ? 2
          : type == byte.class || type == boolean.class ? 1 : 4;
        bytes += array == null ? 0 : 16 + (long) Array.getLength(array) * width;
      }
    }
    return bytes / 1e6;
  }

  /** The heap one ring retains, in MB: enough rings kept at once to dwarf the GC's noise. */
  private static double heapMb(List<String> members, int vnodes) {
    int count = (int) Math.max(3, 200_000_000L / ((long) members.size() * vnodes * 9));
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long used = rt.totalMemory() - rt.freeMemory();
    HashRing[] kept = new HashRing[count];
    for (int i = 0; i < count; i++) {
      kept[i] = HashRing.of(members, vnodes);
    }
    System.gc();
    long retained = rt.totalMemory() - rt.freeMemory() - used;
    if (kept[count - 1].isEmpty()) {
      throw new AssertionError("unreachable: every ring here has members");
    }
    return Math.max(0, retained) / 1e6 / count;
  }

  /** The bytes one build allocates, in MB, as the JVM counts them for this thread. */
  private static double allocatedMb(Supplier<HashRing> build) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    build.get();
    long before = threads.getCurrentThreadAllocatedBytes();
    HashRing ring = build.get();
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    if (ring.isEmpty()) {
      throw new AssertionError("unreachable: every ring here has members");
    }
    return allocated / 1e6;
  }
}
