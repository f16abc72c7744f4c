package dev.cloister.bench.peers;

import dev.cloister.launcher.FreePorts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * Cloister beside Hazelcast, Pekko Cluster and bare vertx-infinispan, each as three node JVMs on
 * 127.0.0.1 with the same JVM flags, systems interleaved round by round. Prints medians, min and
 * max and the ratio to Cloister, then every system's settings. Asserts nothing.
 *
 * <ul>
 *   <li>(a) from spawning the first of three JVMs to the moment all three see three members;</li>
 *   <li>(b) from {@code kill -9} of one to both survivors' members excluding it;</li>
 *   <li>(c) from the graceful leave command to one (its system's recommended way) to both
 *       survivors' members excluding it;</li>
 *   <li>(d) each node's VmRSS after {@value #IDLE_MS} ms idle once the three formed.</li>
 * </ul>
 * Each round forms two clusters per system, one ended by (b), one by (c): two samples of (a) and
 * six of (d) per round.
 */
public final class PeersBench {

  private static final long IDLE_MS = 3_000;
  private static final long FORM_TIMEOUT_MS = 120_000;
  private static final long EXCLUDE_TIMEOUT_MS = 120_000;
  private static final String[] MEASURES = {
    "(a) launch of 3 JVMs → all see 3 members, ms",
    "(b) `kill -9` of 1 → both survivors exclude it, ms",
    "(c) graceful leave of 1 → both survivors exclude it, ms",
    "(d) idle RSS per node, MiB"};

  private final List<NodeJvm> running = new CopyOnWriteArrayList<>();
  private final Path logDir;
  private final Map<Peer, List<List<Double>>> samples = new EnumMap<>(Peer.class);
  private final Map<Peer, List<String>> failures = new EnumMap<>(Peer.class);

  private PeersBench(List<Peer> peers, Path logDir) {
    this.logDir = logDir;
    for (Peer p : peers) {
      List<List<Double>> m = new ArrayList<>();
      for (int i = 0; i < MEASURES.length; i++) {
        m.add(new ArrayList<>());
      }
      samples.put(p, m);
      failures.put(p, new ArrayList<>());
    }
  }

  /**
   * Runs the rounds and prints the tables.
   *
   * @param args {@code [--rounds N] [--only cloister,hazelcast,...] [--logs DIR]}
   * @throws Exception on a broken driver
   */
  public static void main(String[] args) throws Exception {
    int rounds = 2;
    List<Peer> peers = new ArrayList<>(List.of(Peer.values()));
    Path logs = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(require(args[i], value));
        case "--only" -> {
          peers.clear();
          for (String key : require(args[i], value).split(",")) {
            peers.add(Arrays.stream(Peer.values()).filter(p -> p.key().equals(key)).findFirst()
              .orElseThrow(() -> new IllegalArgumentException("--only: unknown system " + key + ", known: "
                + Arrays.stream(Peer.values()).map(Peer::key).toList())));
          }
        }
        case "--logs" -> logs = Path.of(require(args[i], value));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
          + "; usage: [--rounds N] [--only SYSTEM,...] [--logs DIR]");
      }
      i++;
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
    }
    PeersBench bench = new PeersBench(peers, logs);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> bench.running.forEach(NodeJvm::destroy)));
    long started = System.currentTimeMillis();
    for (int r = 1; r <= rounds; r++) {
      for (Peer p : peers) {
        System.err.printf("round %d/%d: %s%n", r, rounds, p.label);
        bench.crash(p);
        bench.leave(p);
      }
    }
    bench.print(rounds, peers, (System.currentTimeMillis() - started) / 1000);
    System.exit(0);
  }

  private static String require(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }

  // ---- scenarios ----

  private List<NodeJvm> form(Peer p) throws IOException, TimeoutException {
    List<Integer> ports = FreePorts.block(3, 20000, 60);
    List<NodeJvm> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      NodeJvm n = NodeJvm.spawn(p, new NodeArgs(i, ports, p.tuned), logDir);
      nodes.add(n);
      running.add(n);
    }
    long seen = 0;
    for (NodeJvm n : nodes) {
      seen = Math.max(seen, n.await("3 members", 0, e -> e.type().equals("members") && e.count() == 3,
        FORM_TIMEOUT_MS).at());
    }
    sample(p, 0, seen - nodes.get(0).spawnedAt());
    NodeJvm.sleep(IDLE_MS);
    for (NodeJvm n : nodes) {
      sample(p, 3, n.rssKib() / 1024.0);
    }
    return nodes;
  }

  /** Forms a cluster, kills node 2 with {@code kill -9}, times the survivors' exclusion. */
  private void crash(Peer p) {
    run(p, "kill -9", nodes -> {
      String victim = nodes.get(2).selfId();
      int[] marks = {nodes.get(0).mark(), nodes.get(1).mark()};
      long t0 = System.currentTimeMillis();
      nodes.get(2).kill9();
      sample(p, 1, excluded(nodes, marks, victim) - t0);
    });
  }

  /** Forms a cluster, tells node 2 to leave gracefully, times the survivors' exclusion. */
  private void leave(Peer p) {
    run(p, "leave", nodes -> {
      String leaving = nodes.get(2).selfId();
      int[] marks = {nodes.get(0).mark(), nodes.get(1).mark()};
      long t0 = System.currentTimeMillis();
      nodes.get(2).send("leave");
      sample(p, 2, excluded(nodes, marks, leaving) - t0);
    });
  }

  private long excluded(List<NodeJvm> nodes, int[] marks, String gone) throws TimeoutException {
    long at = 0;
    for (int i = 0; i < 2; i++) {
      at = Math.max(at, nodes.get(i).await("members without " + gone, marks[i],
        e -> e.type().equals("members") && !e.ids().contains(gone), EXCLUDE_TIMEOUT_MS).at());
    }
    return at;
  }

  private interface Scenario {
    void run(List<NodeJvm> nodes) throws Exception;
  }

  private void run(Peer p, String what, Scenario scenario) {
    List<NodeJvm> nodes = List.of();
    try {
      nodes = form(p);
      scenario.run(nodes);
    } catch (Exception e) {
      failures.get(p).add(what + ": " + e.getMessage());
      System.err.println(p.label + ", " + what + ": " + e.getMessage());
    } finally {
      nodes.forEach(NodeJvm::destroy);
      running.removeAll(nodes);
    }
  }

  private void sample(Peer p, int measure, double value) {
    samples.get(p).get(measure).add(value);
  }

  // ---- tables ----

  private static double median(List<Double> s) {
    List<Double> sorted = new ArrayList<>(s);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private String cell(Peer p, int measure) {
    List<Double> s = samples.get(p).get(measure);
    if (s.isEmpty()) {
      return "–";
    }
    String format = "%.0f";
    String text = String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median(s),
      Collections.min(s), Collections.max(s));
    List<Double> base = samples.containsKey(Peer.CLOISTER) ? samples.get(Peer.CLOISTER).get(measure) : List.of();
    if (!base.isEmpty() && median(base) > 0) {
      text += String.format(Locale.ROOT, " ×%.2f", median(s) / median(base));
    }
    return text;
  }

  private void print(int rounds, List<Peer> peers, long seconds) {
    System.out.printf("%nPeers: 3 node JVMs per cluster on 127.0.0.1, %d round(s), systems interleaved, %d cores, "
        + "%d s in all. Median (min–max) ×ratio of the medians to Cloister's.%n%n", rounds,
      Runtime.getRuntime().availableProcessors(), seconds);
    StringBuilder head = new StringBuilder("| system |");
    StringBuilder rule = new StringBuilder("|---|");
    for (String m : MEASURES) {
      head.append(' ').append(m).append(" |");
      rule.append("---:|");
    }
    System.out.println(head);
    System.out.println(rule);
    for (Peer p : peers) {
      StringBuilder row = new StringBuilder("| ").append(p.label).append(" |");
      for (int m = 0; m < MEASURES.length; m++) {
        row.append(' ').append(cell(p, m)).append(" |");
      }
      System.out.println(row);
    }
    System.out.printf("%nSamples per system and round: (a) 2, (b) 1, (c) 1, (d) 6 (two clusters of three nodes).%n");
    for (Peer p : peers) {
      for (String f : failures.get(p)) {
        System.out.println("FAILED " + p.label + ": " + f);
      }
    }
    System.out.printf("%nSettings. Every node: `java %s`, java.util.logging at WARNING. {port}: the node's own "
      + "free port; {index}: 0, 1, 2; {seeds:F}: F for each of the three ports, comma-separated.%n%n",
      String.join(" ", NodeJvm.JVM_FLAGS));
    System.out.println("| system | members seen as | graceful leave | settings |");
    System.out.println("|---|---|---|---|");
    for (Peer p : peers) {
      List<String> kv = new ArrayList<>();
      p.settings().forEach((k, v) -> kv.add("`" + k + "=" + v + "`"));
      System.out.printf("| %s | %s | %s | %s |%n", p.label, p.membership, p.leave, String.join(" ", kv));
    }
  }
}
