package dev.cloister.bench.peers;

import dev.cloister.launcher.FreePorts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** One node JVM as the driver sees it: spawned, its events read, sent commands, killed. */
final class NodeJvm {

  /** The JVM flags of every node, whatever the system. */
  static final List<String> JVM_FLAGS = List.of("-Xmx256m", "-Djava.net.preferIPv4Stack=true");

  /**
   * One event line of a node (see {@link NodeOutput}).
   *
   * @param at the node's epoch ms
   * @param type self, members, left, entities, loading or failed
   * @param fields what follows the type
   */
  record Event(long at, String type, List<String> fields) {

    /** @return the member count of a members event */
    int count() {
      return Integer.parseInt(fields.get(0));
    }

    /** @return the member ids of a members event */
    List<String> ids() {
      return fields.size() < 2 ? List.of() : Arrays.asList(fields.get(1).split(","));
    }

    /**
     * @param field 0 for the entities running, 1 for those started, of an entities event
     * @return that number
     */
    long number(int field) {
      return Long.parseLong(fields.get(field));
    }
  }

  private final String name;
  private final Process process;
  private final long spawnedAt;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final OutputStream stdin;

  private NodeJvm(String name, Process process, long spawnedAt, PrintWriter log) {
    this.name = name;
    this.process = process;
    this.spawnedAt = spawnedAt;
    this.stdin = process.getOutputStream();
    read(process.getInputStream(), true, log);
    read(process.getErrorStream(), false, log);
  }

  /**
   * Spawns a node JVM on this JVM's class path.
   *
   * @param peer the system
   * @param args the node's arguments
   * @param logDir where to keep the node's output, or {@code null}
   * @return the node
   * @throws IOException when it cannot start
   */
  static NodeJvm spawn(Peer peer, NodeArgs args, Path logDir) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.addAll(JVM_FLAGS);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), peer.main.getName()));
    cmd.addAll(args.toArgs());
    String name = peer.key() + "-" + args.port();
    PrintWriter log = null;
    if (logDir != null) {
      Files.createDirectories(logDir);
      log = new PrintWriter(Files.newBufferedWriter(logDir.resolve(name + ".log")), true);
    }
    long at = System.currentTimeMillis();
    return new NodeJvm(name, new ProcessBuilder(cmd).start(), at, log);
  }

  /**
   * Spawns the three node JVMs of a cluster on free ports, node 0 first.
   *
   * @param peer the system
   * @param logDir where to keep the nodes' output, or {@code null}
   * @param running where each node is added once spawned, for the driver's shutdown hook
   * @return the nodes, in index order
   * @throws IOException when one cannot start
   */
  static List<NodeJvm> spawnThree(Peer peer, Path logDir, List<NodeJvm> running) throws IOException {
    List<Integer> ports = FreePorts.block(3, 20000, 60);
    List<NodeJvm> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      NodeJvm n = spawn(peer, new NodeArgs(i, ports, peer.tuned), logDir);
      nodes.add(n);
      running.add(n);
    }
    return nodes;
  }

  /**
   * Waits until every node sees three members.
   *
   * @param nodes the nodes
   * @param timeoutMs how long to wait for each
   * @return the epoch ms at which the last of them saw three
   * @throws TimeoutException naming the node that did not
   */
  static long awaitThreeMembers(List<NodeJvm> nodes, long timeoutMs) throws TimeoutException {
    long seen = 0;
    for (NodeJvm n : nodes) {
      seen = Math.max(seen, n.await("3 members", 0, e -> e.type().equals("members") && e.count() == 3,
        timeoutMs).at());
    }
    return seen;
  }

  private void read(InputStream stream, boolean events, PrintWriter log) {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (log != null) {
            log.println(line);
          }
          if (events && line.startsWith(NodeOutput.PREFIX)) {
            String[] parts = line.substring(NodeOutput.PREFIX.length()).split(" ");
            this.events.add(new Event(Long.parseLong(parts[0]), parts[1],
              List.of(parts).subList(2, parts.length)));
          }
        }
      } catch (IOException e) {
        // the node is gone
      }
    }, name + (events ? "-out" : "-err"));
    t.setDaemon(true);
    t.start();
  }

  /** @return the epoch ms just before the JVM was spawned */
  long spawnedAt() {
    return spawnedAt;
  }

  /** @return the node's name in messages and log files: system and port */
  String name() {
    return name;
  }

  /** @return the events so far, oldest first */
  List<Event> events() {
    return List.copyOf(events);
  }

  /**
   * Runs a driver's rounds, the systems interleaved in each; node JVMs still running when the
   * driver is stopped are destroyed.
   *
   * @param peers the systems, in order
   * @param rounds how many rounds
   * @param running the driver's node JVMs that run now
   * @param round one system's part of a round
   * @return how long all rounds took, s
   */
  static long rounds(List<Peer> peers, int rounds, List<NodeJvm> running, Consumer<Peer> round) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(NodeJvm::destroy)));
    long started = System.currentTimeMillis();
    for (int r = 1; r <= rounds; r++) {
      for (Peer p : peers) {
        System.err.printf("round %d/%d: %s%n", r, rounds, p.label);
        round.accept(p);
      }
    }
    return (System.currentTimeMillis() - started) / 1000;
  }

  /**
   * @param nodes some nodes
   * @return each one's {@link #mark()}, in the same order
   */
  static int[] marks(List<NodeJvm> nodes) {
    int[] marks = new int[nodes.size()];
    for (int i = 0; i < marks.length; i++) {
      marks[i] = nodes.get(i).mark();
    }
    return marks;
  }

  /** @return the index of the next event, to await only events after now */
  int mark() {
    return events.size();
  }

  /**
   * Waits for an event.
   *
   * @param what what is awaited, for the error
   * @param from the first event index to look at
   * @param match the event
   * @param timeoutMs how long to wait
   * @return the first matching event at or after {@code from}
   * @throws TimeoutException naming the node, what and the events seen
   */
  Event await(String what, int from, Predicate<Event> match, long timeoutMs) throws TimeoutException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      for (int i = from; i < events.size(); i++) {
        if (match.test(events.get(i))) {
          return events.get(i);
        }
      }
      if (!process.isAlive()) {
        throw new TimeoutException(name + " exited (" + process.exitValue() + ") waiting for " + what
          + ", events " + events);
      }
      sleep(5);
    }
    throw new TimeoutException(name + ": no " + what + " within " + timeoutMs + " ms, events " + events);
  }

  /**
   * @return this node's member id
   * @throws TimeoutException when it printed none
   */
  String selfId() throws TimeoutException {
    return await("self", 0, e -> e.type().equals("self"), 60_000).fields().get(0);
  }

  /**
   * Sends one command line.
   *
   * @param command e.g. {@code leave}
   * @throws IOException when the node no longer reads
   */
  void send(String command) throws IOException {
    stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /** {@code kill -9}. */
  void kill9() {
    process.destroyForcibly();
  }

  /** @return true while the JVM runs */
  boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the JVM if it still runs and waits for it. */
  void destroy() {
    process.destroyForcibly();
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * @return the resident set size in KiB, from /proc
   * @throws IOException when the process is gone
   */
  long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for " + name);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
