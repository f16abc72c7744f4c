package dev.cloister.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * six of (d) per round. With {@code --scenario sharding} it runs {@link ShardingBench}, scenario (e),
 * instead.
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
  private final Samples samples;

  private PeersBench(List<Peer> peers, Path logDir) {
    this.logDir = logDir;
    this.samples = new Samples(peers, MEASURES);
  }

  /**
   * Runs the rounds and prints the tables.
   *
   * @param args {@code [--scenario membership|sharding] [--rounds N] [--only cloister,hazelcast,...]
   *     [--entities N] [--logs DIR]}
   * @throws Exception on a broken driver
   */
  public static void main(String[] args) throws Exception {
    int rounds = 2;
    boolean sharding = false;
    String only = null;
    int entities = ShardingBench.DEFAULT_ENTITIES;
    Path logs = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--scenario" -> sharding = switch (require(args[i], value)) {
          case "membership" -> false;
          case "sharding" -> true;
          default -> throw new IllegalArgumentException("--scenario: membership or sharding, got " + value);
        };
        case "--rounds" -> rounds = Integer.parseInt(require(args[i], value));
        case "--only" -> only = require(args[i], value);
        case "--entities" -> entities = Integer.parseInt(require(args[i], value).replace("_", ""));
        case "--logs" -> logs = Path.of(require(args[i], value));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
          + "; usage: [--scenario membership|sharding] [--rounds N] [--only SYSTEM,...] [--entities N] [--logs DIR]");
      }
      i++;
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
    }
    if (entities < 1) {
      throw new IllegalArgumentException("--entities must be at least 1, got " + entities);
    }
    List<Peer> peers = systems(sharding, only);
    if (sharding) {
      ShardingBench.main(peers, rounds, entities, logs);
      return;
    }
    PeersBench bench = new PeersBench(peers, logs);
    long seconds = NodeJvm.rounds(peers, rounds, bench.running, p -> {
      bench.crash(p);
      bench.leave(p);
    });
    bench.print(rounds, peers, seconds);
    System.exit(0);
  }

  /**
   * @param sharding whether scenario (e) runs
   * @param only the {@code --only} list, or {@code null} for every system of the scenario
   * @return the systems to run, in order
   */
  private static List<Peer> systems(boolean sharding, String only) {
    List<Peer> known = Arrays.stream(Peer.values()).filter(p -> p.sharding == sharding).toList();
    if (only == null) {
      return known;
    }
    List<Peer> peers = new ArrayList<>();
    for (String key : only.split(",")) {
      peers.add(known.stream().filter(p -> p.key().equals(key)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--only: unknown system " + key + " for this scenario, known: "
          + known.stream().map(Peer::key).toList())));
    }
    return peers;
  }

  private static String require(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }

  // ---- scenarios ----

  private List<NodeJvm> form(Peer p) throws IOException, TimeoutException {
    List<NodeJvm> nodes = NodeJvm.spawnThree(p, logDir, running);
    long seen = NodeJvm.awaitThreeMembers(nodes, FORM_TIMEOUT_MS);
    samples.add(p, 0, seen - nodes.get(0).spawnedAt());
    NodeJvm.sleep(IDLE_MS);
    for (NodeJvm n : nodes) {
      samples.add(p, 3, n.rssKib() / 1024.0);
    }
    return nodes;
  }

  /** Forms a cluster, kills node 2 with {@code kill -9}, times the survivors' exclusion. */
  private void crash(Peer p) {
    run(p, "kill -9", nodes -> {
      String victim = nodes.get(2).selfId();
      int[] marks = NodeJvm.marks(nodes.subList(0, 2));
      long t0 = System.currentTimeMillis();
      nodes.get(2).kill9();
      samples.add(p, 1, excluded(nodes, marks, victim) - t0);
    });
  }

  /** Forms a cluster, tells node 2 to leave gracefully, times the survivors' exclusion. */
  private void leave(Peer p) {
    run(p, "leave", nodes -> {
      String leaving = nodes.get(2).selfId();
      int[] marks = NodeJvm.marks(nodes.subList(0, 2));
      long t0 = System.currentTimeMillis();
      nodes.get(2).send("leave");
      samples.add(p, 2, excluded(nodes, marks, leaving) - t0);
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
      samples.failed(p, what + ": " + e.getMessage());
      System.err.println(p.label + ", " + what + ": " + e.getMessage());
    } finally {
      nodes.forEach(NodeJvm::destroy);
      running.removeAll(nodes);
    }
  }

  // ---- tables ----

  private void print(int rounds, List<Peer> peers, long seconds) {
    System.out.printf("%nPeers: 3 node JVMs per cluster on 127.0.0.1, %d round(s), systems interleaved, %d cores, "
        + "%d s in all. Median (min–max) ×ratio of the medians to Cloister's.%n%n", rounds,
      Runtime.getRuntime().availableProcessors(), seconds);
    samples.printTable(peers, Peer.CLOISTER);
    System.out.printf("%nSamples per system and round: (a) 2, (b) 1, (c) 1, (d) 6 (two clusters of three nodes).%n");
    samples.printFooter(peers, "members seen as");
  }
}
