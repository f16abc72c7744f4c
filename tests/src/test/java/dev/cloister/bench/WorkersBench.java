package dev.cloister.bench;

import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.internal.Partitioner;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.logging.LogManager;

import static dev.cloister.testing.InJvmCluster.await;

/**
 * Sharded workers at scale: three nodes in one JVM (consensus 2) run a set of KEYS keys (default
 * 1,000,000) with a no-op worker and tick 0. Prints the time to place every key, the heap each idle
 * key costs, the time for the moved keys to start after a 4th node joins and after it leaves
 * gracefully (twice each), and after one of the three is cut off, with the CPU each node's event
 * loop spent meanwhile, and the performs per second of the worker machinery. Counts with counters,
 * so that the harness' own heap stays small. Prints tables; asserts nothing.
 *
 * <pre>bench/run.sh workers [keys]</pre>
 */
public final class WorkersBench {

  /** The payload of every key: 9 bytes of JSON. */
  private static final JsonObject PAYLOAD = new JsonObject().put("p", "x");
  private static final int IN_FLIGHT = 2000;
  private static final int PERF_KEYS = 1000;
  private static final long PERF_TICK = 1;
  private static final long PERF_MS = 10_000;

  private final int keys;
  private final List<String> rows = new ArrayList<>();

  private WorkersBench(int keys) {
    this.keys = keys;
  }

  /** A worker that does nothing and counts. */
  private static final class Counting implements Worker {
    final String node;
    final AtomicLong starts = new AtomicLong();
    final AtomicLong stops = new AtomicLong();
    volatile long lastStart;
    /** The thread the set's callbacks run on: its context's event loop (-1 until a first callback). */
    volatile long loop = -1;
    /** That thread's CPU time (ns) at the first callback. */
    volatile long loopCpuAtFirst = -1;

    Counting(String node) {
      this.node = node;
    }

    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      return Future.succeededFuture(WorkOutcome.ok());
    }

    @Override
    public Future<Void> start(String key, JsonObject payload) {
      starts.incrementAndGet();
      lastStart = System.nanoTime();
      if (loop < 0) {
        loopCpuAtFirst = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        loop = Thread.currentThread().getId();
      }
      return Future.succeededFuture();
    }

    @Override
    public void stop(String key, JsonObject payload, String reason) {
      stops.incrementAndGet();
    }

    /** Keys started and not stopped: what {@code localKeys().size()} says, without copying the set. */
    long running() {
      return starts.get() - stops.get();
    }

    /** CPU time (ns) its set's event loop has used so far, or -1 when unknown. */
    long loopCpu() {
      return loop < 0 ? -1 : ManagementFactory.getThreadMXBean().getThreadCpuTime(loop);
    }
  }

  /** A worker that counts its performs and answers ok or replace, until told to halt. */
  private static final class Performing implements Worker {
    final LongAdder performs;
    final boolean replace;
    volatile boolean halt;

    Performing(LongAdder performs, boolean replace) {
      this.performs = performs;
      this.replace = replace;
    }

    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      if (halt) {
        return Future.succeededFuture(WorkOutcome.halt());
      }
      performs.increment();
      if (replace) {
        return Future.succeededFuture(WorkOutcome.replace(new JsonObject().put("n", payload.getInteger("n", 0) + 1)));
      }
      return Future.succeededFuture(WorkOutcome.ok());
    }
  }

  /** A node running the set. */
  private record Member(Node node, ShardedWorkers set, Counting worker) {
    String name() {
      return "node" + node.index;
    }
  }

  /**
   * Runs the benchmark.
   *
   * @param args the number of keys (default 1,000,000)
   * @throws Exception when the cluster cannot start
   */
  public static void main(String[] args) throws Exception {
    try (InputStream in = WorkersBench.class.getResourceAsStream("/logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    }
    int keys = args.length > 0 ? Integer.parseInt(args[0].replace("_", "").replace(",", "")) : 1_000_000;
    try {
      new WorkersBench(keys).run();
    } catch (Throwable e) {
      // The nodes' threads would keep the JVM alive: print and leave.
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** {@code k} and seven digits: without String.format, whose cost over a million keys ran in the measured moves. */
  private static String key(int i) {
    if (i >= 10_000_000) {
      return "k" + i;
    }
    char[] out = {'k', '0', '0', '0', '0', '0', '0', '0'};
    for (int at = 7, rest = i; at > 0 && rest > 0; at--, rest /= 10) {
      out[at] = (char) ('0' + rest % 10);
    }
    return new String(out);
  }

  private void run() throws Exception {
    Runtime rt = Runtime.getRuntime();
    System.out.printf("Machine: %d cores, max heap %d MB; JVM options: %s%n", rt.availableProcessors(),
      rt.maxMemory() >> 20, ManagementFactory.getRuntimeMXBean().getInputArguments());
    System.out.printf("Keys: %,d, each 'k' + 7 digits with the payload %s (%d bytes of JSON)%n%n", keys,
      PAYLOAD.encode(), PAYLOAD.encode().length());
    try (InJvmCluster cluster = new InJvmCluster(4)) {
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        cluster.start(i, cluster.options(i, 2));
      }
      cluster.nodes().forEach(n -> await(n.deployment));
      WorkersOptions options = new WorkersOptions().setTick(0);
      for (Node n : cluster.nodes()) {
        Counting w = new Counting("node" + n.index);
        members.add(new Member(n, await(ShardedWorkers.start(n.vertx, "bench", options, w)), w));
      }
      long heapBefore = usedAfterGc();

      placement(members);
      long heapAfter = usedAfterGc();
      heap(heapBefore, heapAfter);
      recover(cluster.nodes(), members);

      performs(cluster.nodes(), false);
      performs(cluster.nodes(), true);

      // Twice: the first join and leave are the first moves this JVM makes, and its JIT compiler
      // takes a share of the two cores while they run; a node that has run a while has that code
      // compiled.
      for (int round = 1; round <= 2; round++) {
        join(cluster, members, options, round);
        leave(cluster, members, round);
      }
      crash(members);
      System.out.printf("%n### Sharded workers: keys moved, %,d keys, 3 nodes in one JVM, consensus 2%n%n", keys);
      System.out.println("| event | nodes after | node | keys it started | keys it stopped | event → its last moved "
        + "key started (ms) | its set's event loop: CPU ms until settled | target |");
      System.out.println("|---|---:|---|---:|---:|---:|---:|---|");
      rows.forEach(System.out::println);
    }
  }

  /** Puts every key, round robin over the nodes, and waits until each one started somewhere. */
  private void placement(List<Member> members) throws InterruptedException {
    long t0 = System.nanoTime();
    List<Future<Void>> batch = new ArrayList<>(IN_FLIGHT);
    for (int i = 0; i < keys; i++) {
      batch.add(members.get(i % members.size()).set().put(key(i), PAYLOAD));
      if (batch.size() == IN_FLIGHT) {
        await(Future.all(batch));
        batch.clear();
      }
      if (i > 0 && i % 100_000 == 0) {
        System.out.printf("  %,d keys put after %d ms, %,d started%n", i, ms(t0), starts(members));
      }
    }
    await(Future.all(batch));
    long putMs = ms(t0);
    until(() -> starts(members) >= keys, 1_800_000);
    long placedMs = ms(t0);
    long last = members.stream().mapToLong(m -> m.worker().lastStart).max().orElse(t0);
    System.out.printf("%n### Sharded workers: initial placement, %,d keys, 3 nodes in one JVM%n%n", keys);
    System.out.println("| first put → every key put (ms) | first put → every key started (ms) | keys/s placed "
      + "| per node: keys started |");
    System.out.println("|---:|---:|---:|---|");
    StringBuilder per = new StringBuilder();
    for (Member m : members) {
      per.append(per.length() == 0 ? "" : ", ").append(m.name()).append(' ').append(m.worker().starts.get());
    }
    long lastMs = (last - t0) / 1_000_000L;
    System.out.printf("| %d | %d | %,d | %s |%n", putMs, lastMs, keys * 1000L / Math.max(1, lastMs), per);
    System.out.printf("(the harness saw every start %d ms after the first put)%n", placedMs);
  }

  private void heap(long before, long after) {
    double perKey = (after - before) / (double) keys;
    System.out.printf("%n### Sharded workers: heap per idle key (used heap after GC, %,d keys placed minus none)%n%n",
      keys);
    System.out.println("| heap before (MB) | heap after (MB) | total per key (B) | per node per key (B, total / 3) "
      + "| payload (B of JSON) | target per node |");
    System.out.println("|---:|---:|---:|---:|---:|---|");
    System.out.printf("| %d | %d | %.0f | %.0f | %d | ≤ 300 B + payload |%n", before >> 20, after >> 20, perKey,
      perKey / 3, PAYLOAD.encode().length());
    System.out.println("\nEach node holds a replica of the whole key set (and of the cells' leases) and runs a third"
      + " of the keys; the three share one heap, so the per-node figure is the total divided by three.");
  }

  /**
   * Waits until the cluster is whole again after the collections: a full collection of a large heap
   * stops every node of this JVM for seconds, long enough for them to doubt one another.
   */
  private void recover(List<Node> nodes, List<Member> members) throws InterruptedException {
    long t0 = System.nanoTime();
    until(() -> nodes.stream().allMatch(n -> n.state().getStatus() == dev.cloister.CloisterStatus.READY
      && n.state().getMembers().size() == nodes.size()), 600_000);
    settle(members, members.size());
    System.out.printf("(the full collections for this figure paused the JVM for seconds; every key ran again on its "
      + "owner %d ms after them)%n", ms(t0));
  }

  /** Sustained performs per second on PERF_KEYS keys with a 1 ms tick, outcome ok or replace. */
  private void performs(List<Node> nodes, boolean replace) throws InterruptedException {
    String name = replace ? "perf-replace" : "perf-ok";
    LongAdder count = new LongAdder();
    List<Performing> workers = new ArrayList<>();
    List<ShardedWorkers> sets = new ArrayList<>();
    WorkersOptions o = new WorkersOptions().setTick(PERF_TICK);
    for (Node n : nodes) {
      Performing w = new Performing(count, replace);
      workers.add(w);
      sets.add(await(ShardedWorkers.start(n.vertx, name, o, w)));
    }
    List<Future<Void>> puts = new ArrayList<>();
    for (int i = 0; i < PERF_KEYS; i++) {
      puts.add(sets.get(i % sets.size()).put("p" + i, new JsonObject()));
    }
    await(Future.all(puts));
    until(() -> sets.stream().mapToInt(s -> s.localKeys().size()).sum() == PERF_KEYS, 120_000);
    Thread.sleep(2000);
    long c0 = count.sum();
    long t0 = System.nanoTime();
    Thread.sleep(PERF_MS);
    long c1 = count.sum();
    double secs = (System.nanoTime() - t0) / 1e9;
    workers.forEach(w -> w.halt = true);
    until(() -> sets.stream().mapToInt(s -> s.localKeys().size()).sum() == 0, 120_000);
    for (ShardedWorkers s : sets) {
      await(s.close());
    }
    double rate = (c1 - c0) / secs;
    int cores = Runtime.getRuntime().availableProcessors();
    if (!replace) {
      System.out.printf("%n### Sharded workers: sustained performs, %d keys with a %d ms tick over 3 nodes "
        + "(the %,d idle keys stay placed), %.1f s%n%n", PERF_KEYS, PERF_TICK, keys, secs);
      System.out.println("| outcome | performs/s (3 nodes) | performs/s per core (" + cores + " cores) |");
      System.out.println("|---|---:|---:|");
    }
    System.out.printf("| %s | %,.0f | %,.0f |%n", replace ? "replace (payload {\"n\": n + 1}, replicated)" : "ok",
      rate, rate / cores);
  }

  private void join(InJvmCluster cluster, List<Member> members, WorkersOptions options, int round)
      throws InterruptedException {
    long j0 = System.nanoTime();
    Node n = cluster.start(3, cluster.options(3, 2));
    await(n.deployment);
    long readyMs = ms(j0);
    // Before the set starts there: the others begin to hand off while its start() runs.
    Map<Member, long[]> before = counts(members);
    Counting w = new Counting("node3");
    long t0 = System.nanoTime();
    Member joined = new Member(n, await(ShardedWorkers.start(n.vertx, "bench", options, w)), w);
    long startMs = ms(t0);
    members.add(joined);
    settle(members, 4);
    report("join of a 4th node, round " + round + " (set started on it " + readyMs + " ms after its launch, once "
      + "READY; its start(), which copies the key set, took " + startMs + " ms)", members, before, t0, "≤ 1 s", 4);
  }

  private void leave(InJvmCluster cluster, List<Member> members, int round) throws InterruptedException {
    Map<Member, long[]> before = counts(members);
    Member leaving = members.remove(members.size() - 1);
    long t0 = System.nanoTime();
    await(leaving.set().close());
    long closeMs = ms(t0);
    settle(members, 3);
    List<Member> all = new ArrayList<>(members);
    all.add(leaving);
    report("graceful leave of node3, round " + round + " (its close() completed in " + closeMs + " ms)", all, before,
      t0, "≤ 1 s", 4);
    cluster.stop(leaving.node());
  }

  private void crash(List<Member> members) throws Exception {
    Member hung = members.remove(members.size() - 1);
    Map<Member, long[]> before = counts(members);
    Partitioner p = Partitioner.of(hung.node().vertx);
    long t0 = System.nanoTime();
    p.isolateFromAll();
    settle(members, 2);
    report(hung.name() + " cut off (drops every message both ways; includes failure detection and the fence)",
      members, before, t0, "detection + fence", 3);
  }

  /** Each member's starts, stops and event loop CPU time (ns, -1 while unknown) so far. */
  private static Map<Member, long[]> counts(List<Member> members) {
    Map<Member, long[]> m = new HashMap<>();
    members.forEach(x -> m.put(x, new long[]{x.worker().starts.get(), x.worker().stops.get(), x.worker().loopCpu()}));
    return m;
  }

  /** Waits until every member's ring has {@code owners} owners and each runs exactly the keys it owns. */
  private void settle(List<Member> members, int owners) throws InterruptedException {
    ShardedWorkers probe = members.get(0).set();
    until(() -> {
      try {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < Math.min(keys, 2000); i++) {
          seen.add(probe.ownerOf(key(i)));
        }
        return seen.size() == owners;
      } catch (RuntimeException e) {
        return false;
      }
    }, 120_000);
    Map<String, Integer> expected = new TreeMap<>();
    for (int i = 0; i < keys; i++) {
      expected.merge(probe.ownerOf(key(i)), 1, Integer::sum);
    }
    // The workers' counters, not localKeys(): copying sets of a third of the keys every 20 ms took a
    // third of the CPU the moves had.
    until(() -> members.stream().allMatch(m -> m.worker().running() == expected.getOrDefault(m.name(), 0)), 300_000);
    until(() -> members.stream().allMatch(m -> m.set().localKeys().size() == expected.getOrDefault(m.name(), 0)),
      300_000);
  }

  /**
   * A row per node that started or stopped keys: how many, when its last moved key started, and the
   * CPU its set's event loop used from the event until every key was settled (from its first
   * callback for a node whose set started with the event).
   *
   * @param members the nodes to report on (the owners after the event, and a node that left)
   * @param before {@link #counts} at the event
   * @param share the ideal share of the keys that moves: one over the larger number of owners, before or after
   */
  private void report(String event, List<Member> members, Map<Member, long[]> before, long t0, String target,
                      int share) {
    long moved = 0;
    boolean first = true;
    for (Member m : members) {
      long[] b = before.getOrDefault(m, new long[]{0, 0, -1});
      long gained = m.worker().starts.get() - b[0];
      long lost = m.worker().stops.get() - b[1];
      if (gained == 0 && lost == 0) {
        continue;
      }
      moved += gained;
      String last = gained == 0 ? "–" : Long.toString((m.worker().lastStart - t0) / 1_000_000L);
      long cpuBefore = b[2] >= 0 ? b[2] : m.worker().loopCpuAtFirst;
      String cpu = cpuBefore < 0 ? "–" : Long.toString((m.worker().loopCpu() - cpuBefore) / 1_000_000L);
      rows.add(String.format("| %s | %d | %s | %,d | %,d | %s | %s | %s |", first ? event : "", owners(members),
        m.name(), gained, lost, last, cpu, first ? target : ""));
      first = false;
    }
    int ideal = keys / share;
    rows.add(String.format("| | | **all** | %,d (ideal %,d = 1/%d of the keys: %.2fx) | | | | |", moved, ideal,
      share, moved / (double) ideal));
  }

  /** @return how many of the members run keys now */
  private static int owners(List<Member> members) {
    return (int) members.stream().filter(m -> m.worker().running() > 0).count();
  }

  private static long starts(List<Member> members) {
    return members.stream().mapToLong(m -> m.worker().starts.get()).sum();
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000L;
  }

  private static void until(BooleanSupplier condition, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not reached after " + timeoutMs + " ms");
      }
      Thread.sleep(20);
    }
  }

  /** Used heap after several collections, once it stops shrinking. */
  private static long usedAfterGc() throws InterruptedException {
    MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(500);
      best = Math.min(best, mx.getHeapMemoryUsage().getUsed());
    }
    return best;
  }
}
