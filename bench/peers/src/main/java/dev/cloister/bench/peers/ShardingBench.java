package dev.cloister.bench.peers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

/**
 * Scenario (e), sharded entities: on three node JVMs of each system, node 0 creates N entities (a
 * put of each key into Cloister's sharded worker set, one message to each entity id of Pekko
 * Cluster Sharding with remember-entities), then node 2 leaves gracefully. Every node reports how
 * many entities run on it ({@link EntityCount}); from those lines the driver takes
 *
 * <ul>
 *   <li>(e1) from node 0's first put or message to all N running, summed over the three nodes;</li>
 *   <li>(e2) from the leave command to node 2 until nodes 0 and 1 together run all N again;</li>
 *   <li>(e3) how many entities were started on nodes 0 and 1 from the leave command until then;</li>
 *   <li>(e4) how many creations of (e1) node 0 sent again, their answer missing or failed.</li>
 * </ul>
 * One cluster per system and round, systems interleaved; prints medians, min and max and the ratio
 * to Cloister, then every system's settings. Asserts nothing.
 */
final class ShardingBench {

  /** Entities per cluster unless {@code --entities} says otherwise. */
  static final int DEFAULT_ENTITIES = 100_000;

  private static final long FORM_TIMEOUT_MS = 120_000;
  private static final long READY_TIMEOUT_MS = 120_000;
  private static final long PLACE_TIMEOUT_MS = 300_000;
  private static final long LEAVE_TIMEOUT_MS = 300_000;
  /** Idle time between the initial placement and the leave. */
  private static final long SETTLE_MS = 2_000;
  /** A count reached is read again this much later, once every node's later lines arrived. */
  private static final long CONFIRM_MS = 300;
  private static final int LEAVING = 2;
  private static final int MAX_FAILURE_CHARS = 300;

  private final int entities;
  private final Path logDir;
  private final List<NodeJvm> running = new CopyOnWriteArrayList<>();
  private final Samples samples;

  /**
   * The moment a set of nodes first ran the expected entities.
   *
   * @param at the epoch ms of the node line that completed the count
   * @param started entities started on those nodes since the marks
   */
  private record Reached(long at, long started) {
  }

  private ShardingBench(List<Peer> peers, int entities, Path logDir) {
    this.entities = entities;
    this.logDir = logDir;
    String n = String.format(Locale.ROOT, "%,d", entities);
    String[] measures = {
      "(e1) first put or message → all " + n + " run, ms",
      "(e2) graceful leave of 1 → the 2 survivors run all " + n + ", ms",
      "(e3) entities started on the survivors by then",
      "(e4) creations sent again (failed, or Pekko's unanswered after " + PekkoShardingNode.ASK_TIMEOUT.toSeconds()
        + " s)"};
    this.samples = new Samples(peers, measures);
  }

  /**
   * Runs the rounds, prints the tables and exits.
   *
   * @param peers the sharding systems, in order
   * @param rounds rounds, each one cluster per system
   * @param entities entities per cluster
   * @param logDir where to keep every node's output, or {@code null}
   */
  static void main(List<Peer> peers, int rounds, int entities, Path logDir) {
    ShardingBench bench = new ShardingBench(peers, entities, logDir);
    long seconds = NodeJvm.rounds(peers, rounds, bench.running, bench::round);
    bench.print(rounds, peers, seconds);
    System.exit(0);
  }

  /** Forms a cluster, places the entities from node 0, has node 2 leave, times both. */
  private void round(Peer p) {
    List<NodeJvm> nodes = List.of();
    try {
      nodes = NodeJvm.spawnThree(p, logDir, running);
      NodeJvm.awaitThreeMembers(nodes, FORM_TIMEOUT_MS);
      for (NodeJvm n : nodes) {
        n.await("entity count (the node runs the entities' system)", 0, e -> e.type().equals("entities"),
          READY_TIMEOUT_MS);
      }
      int[] marks = NodeJvm.marks(nodes);
      nodes.get(0).send("entities " + entities);
      long firstPut = nodes.get(0).await("loading (every node takes part)", marks[0],
        e -> e.type().equals("loading"), READY_TIMEOUT_MS).at();
      Reached placed = reach(nodes, marks, "initial placement", PLACE_TIMEOUT_MS);
      samples.add(p, 0, placed.at() - firstPut);
      samples.add(p, 3, nodes.get(0).await("loaded (every creation answered)", marks[0], e -> e.type().equals("loaded"),
        PLACE_TIMEOUT_MS).number(0));
      NodeJvm.sleep(SETTLE_MS);

      List<NodeJvm> survivors = nodes.subList(0, LEAVING);
      int[] before = NodeJvm.marks(survivors);
      long t0 = System.currentTimeMillis();
      nodes.get(LEAVING).send("leave");
      Reached restarted = reach(survivors, before, "after the leave of " + nodes.get(LEAVING).name(),
        LEAVE_TIMEOUT_MS);
      samples.add(p, 1, restarted.at() - t0);
      samples.add(p, 2, restarted.started());
    } catch (Exception e) {
      samples.failed(p, e.getMessage());
      System.err.println(p.label + ": " + e.getMessage());
    } finally {
      nodes.forEach(NodeJvm::destroy);
      running.removeAll(nodes);
    }
  }

  /**
   * Waits until the nodes together run every entity, as their entities lines after the marks tell.
   *
   * @param nodes the nodes whose counts add up
   * @param marks per node, the first event index that counts as after the start
   * @param what what is awaited, for the error
   * @param timeoutMs how long to wait
   * @return the first moment they did, confirmed {@value #CONFIRM_MS} ms later
   * @throws TimeoutException when they do not within the time, or a node exits or fails
   */
  private Reached reach(List<NodeJvm> nodes, int[] marks, String what, long timeoutMs) throws TimeoutException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (scan(nodes, marks) != null) {
        NodeJvm.sleep(CONFIRM_MS);
        Reached r = scan(nodes, marks);
        if (r != null) {
          return r;
        }
      }
      for (NodeJvm n : nodes) {
        if (!n.isAlive()) {
          throw new TimeoutException(what + ": " + n.name() + " exited; counts " + counts(nodes));
        }
      }
      NodeJvm.sleep(20);
    }
    throw new TimeoutException(what + ": the nodes do not run all " + entities + " entities within " + timeoutMs
      + " ms; counts " + counts(nodes));
  }

  /** @return when the nodes' counts first added up to every entity after the marks, or null */
  private Reached scan(List<NodeJvm> nodes, int[] marks) {
    long[] run = new long[nodes.size()];
    long[] startedBefore = new long[nodes.size()];
    long[] started = new long[nodes.size()];
    List<long[]> after = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      List<NodeJvm.Event> events = nodes.get(i).events();
      for (int j = 0; j < events.size(); j++) {
        NodeJvm.Event e = events.get(j);
        if (!e.type().equals("entities")) {
          continue;
        }
        if (j < marks[i]) {
          run[i] = e.number(0);
          startedBefore[i] = e.number(1);
          started[i] = startedBefore[i];
        } else {
          after.add(new long[] {e.at(), i, e.number(0), e.number(1)});
        }
      }
    }
    after.sort(Comparator.comparingLong(x -> x[0]));
    for (long[] line : after) {
      int i = (int) line[1];
      run[i] = line[2];
      started[i] = line[3];
      long total = 0;
      long gained = 0;
      for (int k = 0; k < run.length; k++) {
        total += run[k];
        gained += started[k] - startedBefore[k];
      }
      if (total >= entities) {
        return new Reached(line[0], gained);
      }
    }
    return null;
  }

  /** @return every node's last reported entities line and failure, for an error message */
  private static String counts(List<NodeJvm> nodes) {
    List<String> out = new ArrayList<>();
    for (NodeJvm n : nodes) {
      String last = "none";
      for (NodeJvm.Event e : n.events()) {
        if (e.type().equals("entities")) {
          last = e.number(0) + " running, " + e.number(1) + " started";
        } else if (e.type().equals("failed")) {
          String failure = String.join(" ", e.fields());
          last += ", failed: " + failure.substring(0, Math.min(failure.length(), MAX_FAILURE_CHARS));
        }
      }
      out.add(n.name() + ": " + last);
    }
    return String.join("; ", out);
  }

  private void print(int rounds, List<Peer> peers, long seconds) {
    System.out.printf("%nSharding (e): %,d entities on 3 node JVMs per cluster on 127.0.0.1, created from node 0 "
        + "(at most %d unanswered), then node %d leaves gracefully; %d round(s), systems interleaved, %d cores, "
        + "%d s in all. Median (min–max) ×ratio of the medians to Cloister's.%n%n", entities, EntityLoad.IN_FLIGHT,
      LEAVING, rounds, Runtime.getRuntime().availableProcessors(), seconds);
    samples.printTable(peers, Peer.CLOISTER_WORKERS);
    System.out.printf("%nSamples per system and round: 1 of each. (e3) counts every start on the survivors, "
      + "so a key that moves twice counts twice. (e4): each creation is tried at most %d times.%n",
      EntityLoad.ATTEMPTS);
    samples.printFooter(peers, "entities counted as");
  }
}
