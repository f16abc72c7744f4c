package dev.cloister.bench.soak;

import dev.cloister.launcher.FreePorts;
import dev.cloister.launcher.NodeProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * N Cloister node JVMs on loopback, one fixed port and name each ({@code <app>-<i>}), all seeded
 * with every port: what the soaks start, kill, restart, partition and poll.
 */
public final class ProcessCluster implements AutoCloseable {

  /** System property naming a directory for the nodes' log lines. */
  public static final String LOG_DIR_PROPERTY = "cloister.soak.logs";
  private static final long POLL_MS = 100;

  private final String app;
  private final int consensus;
  private final Map<String, String> extraEnv;
  private final String mainClass;
  private final List<Integer> ports;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final Map<NodeProcess, Integer> polled = new HashMap<>();

  /**
   * Reserves ports and launches every node at once.
   *
   * @param app the app, also the prefix of node names
   * @param size how many nodes
   * @param consensus their consensus
   * @param extraEnv further {@code CLOISTER_*} variables
   * @param mainClass each node JVM's main class: {@code NodeMain} or one built on it
   * @throws IOException when a JVM cannot start
   */
  public ProcessCluster(String app, int size, int consensus, Map<String, String> extraEnv, String mainClass)
    throws IOException {
    this.app = app;
    this.consensus = consensus;
    this.extraEnv = Map.copyOf(extraEnv);
    this.mainClass = mainClass;
    this.ports = FreePorts.block(size, 10000, 60);
    for (int i = 0; i < size; i++) {
      nodes.add(start(i));
    }
  }

  /** @return the number of nodes */
  public int size() {
    return ports.size();
  }

  /**
   * @param index a node index
   * @return its node name
   */
  public String nodeName(int index) {
    return app + "-" + index;
  }

  /**
   * @param index a node index
   * @return {@code 127.0.0.1:port} of its cluster transport
   */
  public String address(int index) {
    return "127.0.0.1:" + ports.get(index);
  }

  /**
   * @param index a node index
   * @return its current JVM
   */
  public NodeProcess node(int index) {
    return nodes.get(index);
  }

  /** @return every node name, sorted */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < size(); i++) {
      names.add(nodeName(i));
    }
    return names;
  }

  /**
   * Launches node {@code index} again, under the same name and port, replacing the old JVM.
   *
   * @param index a node index
   * @return the new JVM
   * @throws IOException when it cannot start
   */
  public NodeProcess relaunch(int index) throws IOException {
    polled.remove(nodes.get(index));
    NodeProcess n = start(index);
    nodes.set(index, n);
    return n;
  }

  private NodeProcess start(int index) throws IOException {
    List<String> sentry = new ArrayList<>();
    ports.forEach(p -> sentry.add("127.0.0.1:" + p));
    Map<String, String> env = new HashMap<>(extraEnv);
    env.put("CLOISTER_APP", app);
    env.put("CLOISTER_NODE_NAME", nodeName(index));
    env.put("CLOISTER_SENTRY", String.join(",", sentry));
    env.put("CLOISTER_CONSENSUS", String.valueOf(consensus));
    env.put("CLOISTER_CLUSTER_PORT", String.valueOf(ports.get(index)));
    env.put("CLOISTER_LOOPBACK", "true");
    return NodeProcess.launch(mainClass, nodeName(index), env, List.of(), echo(index));
  }

  /**
   * Where a node's log lines go: nowhere, or with {@code -D}{@value #LOG_DIR_PROPERTY}{@code =dir}
   * appended to {@code dir/<name>.log} (all JVMs of that name), to find out why a round was slow.
   */
  private java.util.function.Consumer<String> echo(int index) {
    String dir = System.getProperty(LOG_DIR_PROPERTY);
    if (dir == null) {
      return line -> { };
    }
    java.nio.file.Path file = java.nio.file.Path.of(dir, nodeName(index) + ".log");
    return line -> {
      try {
        java.nio.file.Files.writeString(file, System.currentTimeMillis() + " " + line + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      } catch (IOException e) {
        // a lost log line must not stop the soak
      }
    };
  }

  /**
   * Waits until every node of {@code indexes} is READY on exactly {@code names}, converged on one
   * checksum.
   *
   * @param indexes the nodes to poll
   * @param names the members each must list
   * @param deadline epoch ms
   * @return {@code null} once so, else what was last seen at the deadline
   */
  public String awaitRing(List<Integer> indexes, Set<String> names, long deadline) {
    return awaitStates(indexes, deadline, states -> check(states, names));
  }

  /**
   * Polls the states of {@code indexes} until {@code check} returns {@code null} (all good).
   *
   * @param indexes the nodes to poll
   * @param deadline epoch ms
   * @param check returns what is wrong with the states, or {@code null}
   * @return {@code null} once good, else the last complaint
   */
  public String awaitStates(List<Integer> indexes, long deadline,
                            java.util.function.Function<List<JsonObject>, String> check) {
    String last = "nothing polled";
    while (System.currentTimeMillis() < deadline) {
      List<JsonObject> states = new ArrayList<>();
      for (int i : indexes) {
        JsonObject s = poll(nodes.get(i));
        if (s == null) {
          break;
        }
        states.add(s);
      }
      last = states.size() < indexes.size() ? "not every node answered" : check.apply(states);
      if (last == null) {
        return null;
      }
      for (int i : indexes) {
        if (!nodes.get(i).isAlive()) {
          return nodes.get(i).name() + " exited: " + nodes.get(i).events();
        }
      }
      sleep(POLL_MS);
    }
    return last;
  }

  /**
   * What is wrong with {@code states} for one converged READY ring on {@code names}.
   *
   * @param states polled states
   * @param names the expected members
   * @return {@code null} when nothing is, else every node's status, members, checksum and convergence
   */
  public static String check(List<JsonObject> states, Set<String> names) {
    String checksum = states.get(0).getString("checksum");
    boolean off = false;
    List<String> each = new ArrayList<>();
    for (JsonObject s : states) {
      Set<String> members = members(s);
      off |= !"READY".equals(s.getString("status")) || !members.equals(names)
        || s.getJsonArray("members").size() != names.size() || !Boolean.TRUE.equals(s.getBoolean("converged"))
        || checksum == null || !checksum.equals(s.getString("checksum"));
      each.add(s.getString("node") + " is " + s.getString("status") + " on " + members + ", checksum "
        + s.getString("checksum") + (Boolean.TRUE.equals(s.getBoolean("converged")) ? "" : " (not converged)"));
    }
    // Every node's answer: which one is off shows only beside the others.
    return off ? String.join("; ", each) : null;
  }

  /**
   * @param state a polled state
   * @return its member names, sorted
   */
  public static Set<String> members(JsonObject state) {
    Set<String> members = new TreeSet<>();
    for (Object m : state.getJsonArray("members", new JsonArray())) {
      members.add(((JsonObject) m).getString("name"));
    }
    return members;
  }

  /**
   * Sends a command and waits briefly for the first event of type {@code event} after it.
   *
   * @param n the node
   * @param command the command line
   * @param event the event type awaited
   * @return the event, or {@code null} when none came within 5 s
   */
  public JsonObject ask(NodeProcess n, String command, String event) {
    int from = Math.max(polled.getOrDefault(n, 0), n.events().size());
    if (!n.send(command)) {
      return null;
    }
    long deadline = System.currentTimeMillis() + 5_000;
    while (System.currentTimeMillis() < deadline) {
      List<JsonObject> events = n.events();
      for (int i = from; i < events.size(); i++) {
        if (event.equals(events.get(i).getString("event"))) {
          polled.put(n, i + 1);
          return events.get(i);
        }
      }
      sleep(5);
    }
    return null;
  }

  private JsonObject poll(NodeProcess n) {
    JsonObject e = ask(n, "state", "state");
    return e == null ? null : e.getJsonObject("state");
  }

  @Override
  public void close() {
    nodes.forEach(NodeProcess::requestStop);
    nodes.forEach(n -> n.awaitExit(20));
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
