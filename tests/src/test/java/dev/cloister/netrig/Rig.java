package dev.cloister.netrig;

import dev.cloister.bench.soak.ProcessCluster;
import dev.cloister.junit5.internal.FaultNodeMain;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real network for node JVMs, as containers get one: each node in its own Linux network namespace
 * with its own address on 198.18.0.0/24 (a test range) and the same cluster port 7800, joined by a
 * veth pair to a bridge in a "switch" namespace; a DNS server in a namespace of its own answers the
 * service name, as {@code docker compose --scale} does.
 *
 * <p>Faults act on the real data path: a partition moves links to a second bridge; delay, jitter
 * and loss come from a user-space forwarder ({@code netrig/forwarder.py}) that takes the links off
 * the bridges for a bounded time (the kernels here have no netem); a pause is SIGSTOP/SIGCONT of a
 * node JVM. Nodes are read through their standard streams, never over the data network.
 *
 * <p>Every namespace is named {@code cnr<pid>r<random>-<host>}: {@link #close()} (also run by a
 * shutdown hook) deletes them, and a new rig first deletes those whose test JVM is gone.
 */
final class Rig implements AutoCloseable {

  /** The cluster port of every node, as in containers. */
  static final int PORT = 7800;
  /** The service name the nodes find each other by. */
  static final String SERVICE = "cloister.test";
  private static final String NET = "198.18.0.";
  private static final String DNS_ADDRESS = NET + "2";
  private static final Pattern OURS = Pattern.compile("cnr(\\d+)r[a-z0-9]+-\\S+");
  private static final String SWITCH = "sw";

  private final String run;
  /**
   * The node JVMs' logging: warnings, and every suspicion with its outcome, so that a history shows
   * which failure detector suspected whom and whether the check cleared it.
   */
  private static final Path NODE_LOGGING = resource("/netrig/node-logging.properties");
  /** How many of the nodes' log lines about their records a failed {@link #awaitRing} quotes. */
  private static final int MAX_LOGGED = 20;
  /** Threads and lines of each shown from a node's dump when a ring never converges. */
  private static final int MAX_THREADS = 4;
  private static final int THREAD_LINES = 30;

  private final History history;
  private final Path forwarder;
  private final Map<String, String> namespaces = new LinkedHashMap<>();
  private final Map<String, RigNode> nodes = new LinkedHashMap<>();
  private final Map<String, String> env;
  private final Thread hook = new Thread(this::cleanUp, "netrig-cleanup");
  private Process dns;
  private Process impairment;

  private final String mainClass;

  /**
   * Builds the switch and the DNS server.
   *
   * @param history where every observation goes
   * @param env the {@code CLOISTER_*} variables of every node (app, consensus, policy...)
   * @throws IOException when the network cannot be built
   */
  Rig(History history, Map<String, String> env) throws IOException {
    this(history, env, FaultNodeMain.class.getName());
  }

  /**
   * Builds the switch and the DNS server; node JVMs run {@code mainClass}.
   *
   * @param history where every observation goes
   * @param env the {@code CLOISTER_*} variables of every node (app, consensus, policy...)
   * @param mainClass the nodes' main class, {@link FaultNodeMain} or one built on it
   * @throws IOException when the network cannot be built
   */
  Rig(History history, Map<String, String> env, String mainClass) throws IOException {
    this.mainClass = mainClass;
    deleteLeftovers();
    this.run = "cnr" + ProcessHandle.current().pid() + "r" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 30), 36);
    this.history = history;
    this.env = Map.copyOf(env);
    Runtime.getRuntime().addShutdownHook(hook);
    try (InputStream in = Rig.class.getResourceAsStream("/netrig/forwarder.py")) {
      forwarder = Files.createTempFile(run, ".py");
      Files.write(forwarder, in.readAllBytes());
    }
    try {
      String sw = namespace(SWITCH);
      for (String br : List.of("br0", "br1")) {
        ip("-n", sw, "link", "add", br, "type", "bridge");
        ip("-n", sw, "link", "set", br, "up");
      }
      host("dns", DNS_ADDRESS);
      dns = start(namespaces.get("dns"), List.of(java(), "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
        "-cp", System.getProperty("java.class.path"), DnsMain.class.getName(), DNS_ADDRESS, "53"));
      expectLine(dns, "ready");
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Why the rig cannot run here, or null when it can: it needs Linux, root, {@code ip} and python3.
   *
   * @return the reason to skip
   */
  static String unavailable() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return "the real-network rig needs Linux network namespaces";
    }
    try {
      String uid = output(List.of("id", "-u")).trim();
      if (!uid.equals("0")) {
        return "the real-network rig needs root to create network namespaces (uid " + uid + ")";
      }
      output(List.of("ip", "-V"));
      output(List.of(python(), "-c", "import socket; socket.AF_PACKET"));
      String probe = "cnr" + ProcessHandle.current().pid() + "rprobe-x";
      output(List.of("ip", "netns", "add", probe));
      output(List.of("ip", "netns", "delete", probe));
      return null;
    } catch (RuntimeException e) {
      return "the real-network rig cannot create network namespaces here (needs iproute2 and python3): "
        + e.getMessage();
    }
  }

  /** @return the history every node writes to */
  History history() {
    return history;
  }

  /**
   * @param index 1..
   * @return the address of node {@code n<index>}
   */
  static String address(int index) {
    return NET + (10 + index);
  }

  /**
   * Creates node {@code n<index>}'s namespace (once), publishes its address under the service name
   * and starts its JVM.
   *
   * @param index 1..
   * @param publish whether to add it to DNS first
   * @return the running node
   * @throws IOException when it cannot start
   */
  RigNode startNode(int index, boolean publish) throws IOException {
    String name = "n" + index;
    String address = address(index);
    if (!namespaces.containsKey(name)) {
      host(name, address);
    }
    if (publish) {
      dns("add " + SERVICE + " " + address);
    }
    Map<String, String> nodeEnv = new HashMap<>(env);
    nodeEnv.put("CLOISTER_NODE_NAME", name);
    nodeEnv.put("CLOISTER_SENTRY", SERVICE);
    nodeEnv.put("CLOISTER_DNS_SERVERS", DNS_ADDRESS + ":53");
    nodeEnv.put("CLOISTER_CLUSTER_PORT", Integer.toString(PORT));
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true", "-Djava.util.logging.config.file=" + NODE_LOGGING,
      "-Djgroups.use.jdk_logger=true",
      "-cp", System.getProperty("java.class.path"), mainClass));
    history.fault("start", name);
    RigNode node = new RigNode(name, address, start(namespaces.get(name), cmd, nodeEnv), history);
    nodes.put(name, node);
    return node;
  }

  /**
   * @param name e.g. {@code n1}
   * @return its current JVM
   */
  RigNode node(String name) {
    return nodes.get(name);
  }

  /** @return every node JVM started (the newest of each name) */
  Collection<RigNode> nodes() {
    return nodes.values();
  }

  /**
   * Removes a node's address from DNS.
   *
   * @param index 1..
   */
  void unpublish(int index) {
    dns("remove " + SERVICE + " " + address(index));
  }

  /**
   * Cuts the network in two: the links of {@code side} move to the second bridge.
   *
   * @param side node names
   */
  void partition(Set<String> side) {
    history.fault("partition", side.toString());
    for (String n : side) {
      ip("-n", namespaces.get(SWITCH), "link", "set", "p-" + n, "master", "br1");
    }
  }

  /** Joins every link to the first bridge again. */
  void heal() {
    history.fault("heal", "");
    for (String h : namespaces.keySet()) {
      if (!h.equals(SWITCH)) {
        ip("-n", namespaces.get(SWITCH), "link", "set", "p-" + h, "master", "br0");
      }
    }
  }

  /**
   * Delays every frame between any two hosts by {@code delayMs} ± {@code jitterMs} and drops
   * {@code loss} of them, for {@code seconds}; returns when the forwarder is in place. The links
   * go back to the bridge in {@link #endImpairment()}.
   *
   * @param seconds how long the forwarder runs at most
   * @param delayMs one-way delay
   * @param jitterMs uniform jitter around it
   * @param loss drop probability
   * @throws IOException when the forwarder cannot start
   */
  void impair(int seconds, int delayMs, int jitterMs, double loss) throws IOException {
    history.fault("impair", seconds + " s, " + delayMs + " ms +/- " + jitterMs + " ms, loss " + loss);
    List<String> ports = new ArrayList<>();
    for (String h : namespaces.keySet()) {
      if (!h.equals(SWITCH)) {
        ports.add("p-" + h);
        ip("-n", namespaces.get(SWITCH), "link", "set", "p-" + h, "nomaster");
      }
    }
    List<String> cmd = new ArrayList<>(List.of(python(), forwarder.toString(), "forward", Integer.toString(seconds),
      Integer.toString(delayMs), Integer.toString(jitterMs), Double.toString(loss), "7"));
    cmd.addAll(ports);
    impairment = start(namespaces.get(SWITCH), cmd);
    expectLine(impairment, "ready");
  }

  /**
   * Waits for the forwarder to stop by itself (it is bounded), then puts the links back on the bridge.
   *
   * @return the forwarder's counters
   */
  String endImpairment() {
    String counters = "";
    try {
      impairment.waitFor(120, TimeUnit.SECONDS);
      counters = new String(impairment.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      counters = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      impairment.destroyForcibly();
      impairment = null;
      heal();
    }
    history.fault("impairment-ended", counters);
    return counters;
  }

  /**
   * Asks every node of {@code names} for its state once (over stdin/stdout).
   *
   * @param names the nodes
   * @return their states, null for a node that did not answer within 3 s (paused, dead)
   */
  Map<String, JsonObject> sample(Collection<String> names) {
    Map<String, Integer> marks = new HashMap<>();
    for (String n : names) {
      marks.put(n, nodes.get(n).events().size());
      nodes.get(n).send("state");
    }
    Map<String, JsonObject> states = new LinkedHashMap<>();
    long deadline = System.currentTimeMillis() + 3_000;
    for (String n : names) {
      // Each node's answer is looked for at least once, even after a slow one used up the time.
      JsonObject s = null;
      while (true) {
        List<JsonObject> events = nodes.get(n).events();
        for (int i = marks.get(n); i < events.size() && s == null; i++) {
          if ("state".equals(events.get(i).getString("event"))) {
            s = events.get(i).getJsonObject("state");
          }
        }
        if (s != null || System.currentTimeMillis() >= deadline) {
          break;
        }
        pause(10);
      }
      states.put(n, s);
    }
    return states;
  }

  /**
   * Polls until every node of {@code names} is READY on exactly {@code names}, converged on one
   * checksum, or {@code timeoutMs} passed.
   *
   * @param names the nodes, also the members expected
   * @param timeoutMs the bound
   * @return null once so, else what was last seen and what the nodes last logged of their records
   */
  String awaitRing(Set<String> names, long timeoutMs) {
    long from = System.currentTimeMillis();
    String last = ringAfter(names, from + timeoutMs);
    if (last == null) {
      return null;
    }
    // A failure seen only in CI must explain itself: how the nodes' replicas of the members cache
    // disagreed, and what was done about it.
    List<String> logged = history.since(from, o -> o.kind().equals("stderr")
      && o.data().getString("line", "").matches(".*(record|replica|Timed out|cannot write|could not ask).*"))
      .stream().map(o -> o.at() + " " + o.node() + ": " + o.data().getString("line")).toList();
    StringBuilder busy = new StringBuilder();
    for (String name : new TreeSet<>(names)) {
      RigNode n = nodes.get(name);
      if (n != null) {
        String stuck = busyThreads(n.dumpThreads("no converged ring"));
        if (!stuck.isEmpty()) {
          busy.append("\n").append(name).append("'s threads in Infinispan, Vert.x's cluster manager or Cloister:\n").append(stuck);
        }
      }
    }
    return last + (logged.isEmpty() ? "" : "\nwhat the nodes logged of their records meanwhile (last "
      + Math.min(MAX_LOGGED, logged.size()) + " of " + logged.size() + "):\n  "
      + String.join("\n  ", logged.subList(Math.max(0, logged.size() - MAX_LOGGED), logged.size()))) + busy;
  }

  /**
   * The threads of a dump that are at work in a listener, a cache operation or Cloister (not idle
   * in a pool), the first lines of each: a node that stopped following its replica shows there
   * what it waits for. The whole dump is in the history.
   */
  static String busyThreads(String dump) {
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (String section : dump.split("\n\n")) {
      boolean ours = section.contains("dev.cloister.impl") || section.contains("io.vertx.ext.cluster.infinispan")
        || section.contains("org.infinispan.notifications") || section.contains("receiveClusterView");
      boolean idle = section.contains("ThreadPoolExecutor.getTask") || section.contains("EventLoop.run")
        || section.contains("netrig") || !section.startsWith("\"");
      if (ours && !idle && shown < MAX_THREADS) {
        shown++;
        String[] lines = section.split("\n");
        out.append("  ").append(String.join("\n  ", Arrays.copyOf(lines, Math.min(lines.length, THREAD_LINES)))).append("\n");
      }
    }
    return out.toString();
  }

  private String ringAfter(Set<String> names, long deadline) {
    String last = "nothing polled";
    while (System.currentTimeMillis() < deadline) {
      Map<String, JsonObject> states = sample(names);
      if (states.containsValue(null)) {
        last = "no answer from " + states.entrySet().stream().filter(e -> e.getValue() == null).map(Map.Entry::getKey).toList();
      } else {
        last = ProcessCluster.check(new ArrayList<>(states.values()), new TreeSet<>(names));
        if (last == null) {
          return null;
        }
      }
      pause(200);
    }
    return last;
  }

  private void host(String name, String address) {
    String ns = namespace(name);
    String sw = namespaces.get(SWITCH);
    ip("-n", sw, "link", "add", "p-" + name, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ip("-n", sw, "link", "set", "p-" + name, "master", "br0");
    ip("-n", sw, "link", "set", "p-" + name, "up");
    ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "lo", "up");
    // Frames copied by the forwarder's packet sockets must carry real checksums and be one segment each.
    run(List.of("ip", "netns", "exec", ns, python(), forwarder.toString(), "nooffload", "eth0"));
  }

  private String namespace(String host) {
    String ns = run + "-" + host;
    ip("netns", "add", ns);
    namespaces.put(host, ns);
    return ns;
  }

  private void dns(String command) {
    try {
      OutputStream in = dns.getOutputStream();
      in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      expectLine(dns, "ok");
    } catch (IOException e) {
      throw new IllegalStateException("the DNS server is gone", e);
    }
    history.fault("dns", command);
  }

  /** Reads lines from a helper process until {@code expected} (bounded: the process must say it). */
  private static void expectLine(Process p, String expected) throws IOException {
    long deadline = System.currentTimeMillis() + 30_000;
    StringBuilder seen = new StringBuilder();
    while (System.currentTimeMillis() < deadline) {
      if (p.getInputStream().available() == 0 && !p.isAlive()) {
        break;
      }
      if (p.getInputStream().available() == 0) {
        pause(20);
        continue;
      }
      String line = readLine(p.getInputStream());
      if (line == null) {
        break;
      }
      if (line.trim().equals(expected)) {
        return;
      }
      seen.append(line).append('\n');
    }
    throw new IOException("helper process did not say '" + expected + "': " + seen
      + new String(p.getErrorStream().readNBytes(Math.max(0, Math.min(4096, p.getErrorStream().available()))),
      StandardCharsets.UTF_8));
  }

  /** One line, byte by byte, so that no buffered reader keeps bytes that a later read needs. */
  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      b.append((char) c);
    }
    return c == -1 && b.length() == 0 ? null : b.toString();
  }

  private static Process start(String ns, List<String> cmd) throws IOException {
    return start(ns, cmd, Map.of());
  }

  private static Process start(String ns, List<String> cmd, Map<String, String> env) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(cmd);
    ProcessBuilder pb = new ProcessBuilder(full);
    pb.environment().keySet().removeIf(k -> k.startsWith("CLOISTER_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static void ip(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    run(cmd);
  }

  /**
   * Runs a command to its end (bounded).
   *
   * @param cmd the command
   */
  static void run(List<String> cmd) {
    output(cmd);
  }

  private static String output(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(cmd + " did not finish");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(cmd + " failed: " + out.trim());
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(cmd + " cannot run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Deletes the namespaces (and their processes) of rigs whose test JVM is gone. */
  private static void deleteLeftovers() {
    String list;
    try {
      list = output(List.of("ip", "netns", "list"));
    } catch (RuntimeException e) {
      return;
    }
    for (String line : list.split("\n")) {
      String ns = line.split("\\s+")[0];
      Matcher m = OURS.matcher(ns);
      if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) {
        continue;
      }
      if (m.matches()) {
        deleteNamespace(ns);
      }
    }
  }

  private static void deleteNamespace(String ns) {
    try {
      for (String pid : output(List.of("ip", "netns", "pids", ns)).split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      output(List.of("ip", "netns", "delete", ns));
    } catch (RuntimeException e) {
      // already gone, or going: nothing more to do
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path resource(String name) {
    try {
      return Path.of(Rig.class.getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(name, e);
    }
  }

  private synchronized void cleanUp() {
    for (RigNode n : nodes.values()) {
      n.kill();
    }
    for (Process p : new Process[] {dns, impairment}) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    List<String> all = new ArrayList<>(namespaces.values());
    java.util.Collections.reverse(all);
    all.forEach(Rig::deleteNamespace);
    namespaces.clear();
    try {
      if (forwarder != null) {
        Files.deleteIfExists(forwarder);
      }
    } catch (IOException ignored) {
      // a temporary file
    }
  }

  @Override
  public void close() {
    cleanUp();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // already shutting down: the hook runs cleanUp, which is idempotent
    }
  }
}
