package dev.cloister.launcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the user's own application as a local cluster of N JVMs on loopback (Cloister's
 * {@code mix cloister.init} and {@code mix cloister.run}).
 *
 * <pre>
 * AppLauncher init [--file cloister-local.json] [--force] [--nodes 3] [--consensus N]
 *                  [--main CLASS | --verticle CLASS] [--base-port 7800] [--http-port P]
 *                  [--app NAME] [--jvm-option OPT]... [--env K=V]... [--arg A]...
 * AppLauncher run  [--file cloister-local.json] [the same options, overriding the file]
 *                  [--timeout S] [--until-ready] [--grace S]
 * </pre>
 *
 * <p>{@code init} writes the configuration file; {@code run} reads it when present, applies its
 * own options over it, and starts every node through {@link ChildMain} with this JVM's class path
 * and the {@code CLOISTER_*} variables of a local cluster. Invalid options exit with status 64.
 */
public final class AppLauncher {

  /** The exit status of an invalid command line. */
  public static final int USAGE = 64;
  /** The default configuration file. */
  public static final String DEFAULT_FILE = "cloister-local.json";
  /** The main class run for {@code --verticle}. */
  public static final String VERTX_APPLICATION = "io.vertx.launcher.application.VertxApplication";

  private static final String PREFIX = "cloister: ";
  private static final Pattern PLAIN_TRANSITION = Pattern.compile("\\b([A-Z]+) -> ([A-Z]+)\\b");

  private AppLauncher() {
  }

  /** An invalid command line, naming the option at fault. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Runs {@code init} or {@code run}.
   *
   * @param args see the class description
   * @throws Exception on a launch failure
   */
  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "" : args[0];
    JsonObject flags;
    try {
      if (!command.equals("init") && !command.equals("run")) {
        throw new UsageException("unknown command '" + command + "': expected init or run");
      }
      flags = parse(command, List.of(args).subList(1, args.length));
    } catch (UsageException e) {
      System.err.println(PREFIX + e.getMessage());
      System.err.println(usage());
      System.exit(USAGE);
      return;
    }
    int status = command.equals("init") ? init(flags) : run(flags);
    System.exit(status);
  }

  static String usage() {
    return "usage: AppLauncher init [--file F] [--force] [--nodes N] [--consensus N] [--main CLASS | --verticle CLASS]\n"
      + "                        [--base-port P] [--http-port P] [--app NAME] [--jvm-option OPT]... [--env K=V]... [--arg A]...\n"
      + "       AppLauncher run  [--file F] [the options of init] [--timeout S] [--until-ready] [--grace S]";
  }

  /**
   * Parses the options of a command into a JSON object with the keys of the configuration file.
   *
   * @param command init or run
   * @param args the options
   * @return the options given
   * @throws UsageException naming the option at fault
   */
  static JsonObject parse(String command, List<String> args) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < args.size(); i++) {
      String opt = args.get(i);
      switch (opt) {
        case "--file" -> o.put("file", value(args, ++i, opt));
        case "--nodes" -> o.put("nodes", positive(args, ++i, opt));
        case "--consensus" -> o.put("consensus", positive(args, ++i, opt));
        case "--main" -> o.put("main", className(args, ++i, opt));
        case "--verticle" -> o.put("verticle", className(args, ++i, opt));
        case "--base-port" -> o.put("basePort", port(args, ++i, opt, 1));
        case "--http-port" -> o.put("httpPort", port(args, ++i, opt, 0));
        case "--app" -> o.put("app", value(args, ++i, opt));
        case "--jvm-option" -> append(o, "jvmOptions", value(args, ++i, opt));
        case "--arg" -> append(o, "args", value(args, ++i, opt));
        case "--env" -> {
          String kv = value(args, ++i, opt);
          int eq = kv.indexOf('=');
          if (eq < 1) {
            throw new UsageException("--env expects K=V, got '" + kv + "'");
          }
          if (!o.containsKey("env")) {
            o.put("env", new JsonObject());
          }
          o.getJsonObject("env").put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        case "--force" -> onlyFor(command, "init", opt, o.put("force", true));
        case "--timeout" -> onlyFor(command, "run", opt, o.put("timeout", positive(args, ++i, opt)));
        case "--grace" -> onlyFor(command, "run", opt, o.put("grace", nonNegative(args, ++i, opt)));
        case "--until-ready" -> onlyFor(command, "run", opt, o.put("untilReady", true));
        default -> throw new UsageException("unknown option " + opt);
      }
    }
    if (o.containsKey("main") && o.containsKey("verticle")) {
      throw new UsageException("--main and --verticle exclude each other");
    }
    return o;
  }

  private static void onlyFor(String command, String expected, String opt, Object ignored) {
    if (!command.equals(expected)) {
      throw new UsageException(opt + " is an option of " + expected + ", not of " + command);
    }
  }

  private static String value(List<String> args, int i, String opt) {
    if (i >= args.size() || args.get(i).startsWith("--")) {
      throw new UsageException(opt + " needs a value");
    }
    return args.get(i);
  }

  private static int integer(List<String> args, int i, String opt) {
    String v = value(args, i, opt);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException(opt + " expects a number, got '" + v + "'");
    }
  }

  private static int positive(List<String> args, int i, String opt) {
    int v = integer(args, i, opt);
    if (v < 1) {
      throw new UsageException(opt + " must be at least 1, got " + v);
    }
    return v;
  }

  private static int nonNegative(List<String> args, int i, String opt) {
    int v = integer(args, i, opt);
    if (v < 0) {
      throw new UsageException(opt + " must not be negative, got " + v);
    }
    return v;
  }

  private static int port(List<String> args, int i, String opt, int min) {
    int v = integer(args, i, opt);
    if (v < min || v > 65535) {
      throw new UsageException(opt + " must be a port from " + min + " to 65535, got " + v);
    }
    return v;
  }

  private static String className(List<String> args, int i, String opt) {
    String v = value(args, i, opt);
    if (!v.matches("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*")) {
      throw new UsageException(opt + " expects a class name, got '" + v + "'");
    }
    return v;
  }

  private static void append(JsonObject o, String key, String value) {
    if (!o.containsKey(key)) {
      o.put(key, new JsonArray());
    }
    o.getJsonArray(key).add(value);
  }

  /** The configuration written by init: defaults, then the options given. */
  static JsonObject config(JsonObject flags) {
    int nodes = flags.getInteger("nodes", 3);
    JsonObject c = new JsonObject()
      .put("about", "Local Cloister cluster for AppLauncher run: 'nodes' JVMs of 'main' (or of Vert.x's "
        + "VertxApplication with 'verticle' and --cluster) on loopback; node i gets CLOISTER_NODE_NAME=node-i, "
        + "a static sentry of the ports basePort .. basePort+nodes-1, CLOISTER_CONSENSUS=consensus, "
        + "HTTP_PORT=httpPort+i when httpPort is not 0, the JVM options 'jvmOptions', the variables "
        + "'env' and the program arguments 'args'. Options of run override these values.")
      .put("app", flags.getString("app", "cloister"))
      .put("nodes", nodes)
      .put("consensus", flags.getInteger("consensus", nodes));
    if (flags.containsKey("verticle")) {
      c.put("verticle", flags.getString("verticle"));
    } else {
      c.put("main", flags.getString("main", "com.example.Main"));
    }
    return c.put("basePort", flags.getInteger("basePort", 7800))
      .put("httpPort", flags.getInteger("httpPort", 0))
      .put("jvmOptions", flags.getJsonArray("jvmOptions", new JsonArray()))
      .put("env", flags.getJsonObject("env", new JsonObject()))
      .put("args", flags.getJsonArray("args", new JsonArray()));
  }

  private static int init(JsonObject flags) throws IOException {
    Path file = Path.of(flags.getString("file", DEFAULT_FILE));
    if (Files.exists(file) && !flags.getBoolean("force", false)) {
      System.err.println(PREFIX + file + " exists; --force overwrites it");
      return 1;
    }
    String text = config(flags).encodePrettily() + "\n";
    Files.writeString(file, text);
    System.out.println(PREFIX + "wrote " + file.toAbsolutePath());
    System.out.print(text);
    System.out.println(PREFIX + "start it with: AppLauncher run --file " + file);
    return 0;
  }

  private static int run(JsonObject flags) throws Exception {
    Path file = Path.of(flags.getString("file", DEFAULT_FILE));
    JsonObject fromFile = new JsonObject();
    if (Files.exists(file)) {
      try {
        fromFile = new JsonObject(Files.readString(file));
      } catch (RuntimeException e) {
        System.err.println(PREFIX + file + " is not a JSON object: " + e.getMessage());
        return USAGE;
      }
    } else if (flags.containsKey("file")) {
      System.err.println(PREFIX + "--file " + file + " does not exist (AppLauncher init writes it)");
      return USAGE;
    }
    JsonObject c = fromFile.copy();
    if (flags.containsKey("main")) {
      c.remove("verticle");
    }
    if (flags.containsKey("verticle")) {
      c.remove("main");
    }
    if (flags.containsKey("nodes") && !flags.containsKey("consensus") && fromFile.containsKey("consensus")) {
      // The file's consensus was written for its own node count.
      c.put("consensus", Math.min(fromFile.getInteger("consensus"), flags.getInteger("nodes")));
    }
    flags.forEach(e -> c.put(e.getKey(), e.getValue()));
    JsonObject cfg = config(c);
    if (!c.containsKey("main") && !c.containsKey("verticle")) {
      System.err.println(PREFIX + "no --main or --verticle, and no " + file + " naming one");
      return USAGE;
    }
    Cluster cluster = new Cluster(cfg, c.getInteger("grace", 10));
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "cloister-launcher-shutdown"));
    long t0 = System.currentTimeMillis();
    int timeout = c.getInteger("timeout", 0);
    long deadline = timeout > 0 ? t0 + timeout * 1000L : Long.MAX_VALUE;
    cluster.start();
    boolean ready = cluster.awaitReady(deadline);
    if (ready) {
      System.out.println(PREFIX + "all " + cluster.nodes.size() + " nodes READY in "
        + (System.currentTimeMillis() - t0) + " ms");
    } else {
      System.out.println(PREFIX + "not every node was READY" + (cluster.anyExited() ? " (a node exited first)"
        : " within " + timeout + " s"));
    }
    cluster.printStates();
    if (!ready || c.getBoolean("untilReady", false)) {
      return ready ? 0 : 1;
    }
    cluster.awaitEnd(deadline);
    if (!cluster.anyExited()) {
      System.out.println(PREFIX + "timeout of " + timeout + " s reached, stopping");
    }
    return 0;
  }

  /**
   * The class path for the nodes: that of the class loader running the launcher when it is a URL
   * class loader (Maven's {@code exec:java} runs the project in one, inside Maven's JVM), else
   * this JVM's.
   */
  static String classPath() {
    List<String> entries = new ArrayList<>();
    for (ClassLoader l = Thread.currentThread().getContextClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof java.net.URLClassLoader u) {
        for (java.net.URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (java.net.URISyntaxException | RuntimeException e) {
            // not a file: not for a class path
          }
        }
      }
    }
    return entries.isEmpty() ? System.getProperty("java.class.path")
      : String.join(java.io.File.pathSeparator, entries);
  }

  /** The node JVMs of one run. */
  private static final class Cluster {
    private final JsonObject cfg;
    private final int grace;
    private final List<Node> nodes = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);

    Cluster(JsonObject cfg, int grace) {
      this.cfg = cfg;
      this.grace = grace;
    }

    void start() throws IOException {
      int n = cfg.getInteger("nodes");
      int basePort = cfg.getInteger("basePort");
      int httpPort = cfg.getInteger("httpPort");
      List<String> sentry = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sentry.add("127.0.0.1:" + (basePort + i));
      }
      String what = cfg.containsKey("verticle") ? "verticle " + cfg.getString("verticle") : cfg.getString("main");
      System.out.println(PREFIX + n + " nodes of " + what + ", consensus " + cfg.getInteger("consensus")
        + ", sentry " + sentry);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      for (int i = 0; i < n; i++) {
        String name = "node-" + i;
        List<String> cmd = new ArrayList<>(List.of(java, "-Djava.net.preferIPv4Stack=true"));
        cfg.getJsonArray("jvmOptions").forEach(o -> cmd.add(String.valueOf(o)));
        cmd.addAll(List.of("-cp", classPath(), ChildMain.class.getName()));
        if (cfg.containsKey("verticle")) {
          cmd.addAll(List.of(VERTX_APPLICATION, cfg.getString("verticle"), "--cluster"));
        } else {
          cmd.add(cfg.getString("main"));
        }
        cfg.getJsonArray("args").forEach(a -> cmd.add(String.valueOf(a)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CLOISTER_"));
        Map<String, String> ours = new LinkedHashMap<>();
        ours.put("CLOISTER_APP", cfg.getString("app"));
        ours.put("CLOISTER_SENTRY", String.join(",", sentry));
        ours.put("CLOISTER_CONSENSUS", String.valueOf(cfg.getInteger("consensus")));
        ours.put("CLOISTER_LOOPBACK", "true");
        ours.put("CLOISTER_NODE_NAME", name);
        if (httpPort > 0) {
          ours.put("HTTP_PORT", String.valueOf(httpPort + i));
        }
        env.putAll(ours);
        cfg.getJsonObject("env").forEach(e -> env.put(e.getKey(), String.valueOf(e.getValue())));
        Node node = new Node(name, pb.start(), httpPort > 0 ? httpPort + i : 0);
        nodes.add(node);
        System.out.println(PREFIX + name + " pid " + node.process.pid());
        node.process.onExit().thenRun(ended::countDown);
      }
    }

    boolean awaitReady(long deadline) throws InterruptedException {
      synchronized (this) {
        while (true) {
          if (nodes.stream().allMatch(n -> "READY".equals(n.status))) {
            return true;
          }
          if (anyExited()) {
            return false;
          }
          long left = deadline == Long.MAX_VALUE ? 1000 : deadline - System.currentTimeMillis();
          if (left <= 0) {
            return false;
          }
          wait(Math.min(left, 1000));
        }
      }
    }

    synchronized void changed() {
      notifyAll();
    }

    boolean anyExited() {
      return nodes.stream().anyMatch(n -> !n.process.isAlive());
    }

    void printStates() {
      for (Node n : nodes) {
        System.out.println(PREFIX + n.name + " " + (n.process.isAlive() ? n.status : "exited "
          + n.process.exitValue()) + (n.members == null ? "" : " members " + n.members)
          + (n.httpPort > 0 ? " dashboard http://127.0.0.1:" + n.httpPort + "/cloister/" : ""));
      }
    }

    void awaitEnd(long deadline) throws InterruptedException {
      if (deadline == Long.MAX_VALUE) {
        ended.await();
      } else {
        ended.await(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
      }
    }

    /** SIGTERM to every node, then SIGKILL to those still running after the grace period. */
    void stop() {
      List<Node> running = nodes.stream().filter(n -> n.process.isAlive()).toList();
      if (running.isEmpty()) {
        return;
      }
      System.out.println(PREFIX + "stopping " + running.size() + " nodes (grace " + grace + " s)");
      running.forEach(n -> n.process.toHandle().destroy());
      long deadline = System.currentTimeMillis() + grace * 1000L;
      for (Node n : running) {
        try {
          if (!n.process.waitFor(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
            System.out.println(PREFIX + n.name + " still running after the grace period: killed");
            n.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          n.process.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
      // Let the pumps print the nodes' last lines.
      for (Node n : running) {
        try {
          n.pump.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      System.out.println(PREFIX + "all nodes stopped");
    }

    /** One node JVM and the thread that prints its output. */
    private final class Node {
      private final String name;
      private final Process process;
      private final int httpPort;
      private final Thread pump;
      private volatile String status = "STARTING";
      private volatile String members;
      private volatile boolean events;

      Node(String name, Process process, int httpPort) {
        this.name = name;
        this.process = process;
        this.httpPort = httpPort;
        pump = new Thread(this::pump, "pump-" + name);
        pump.setDaemon(true);
        pump.start();
      }

      private void pump() {
        String label = "[" + name + "] ";
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            if (line.startsWith(NodeMain.EVENT_PREFIX)) {
              JsonObject e = new JsonObject(line.substring(NodeMain.EVENT_PREFIX.length()));
              if (e.containsKey("to")) {
                events = true;
                status = e.getString("to");
                members = e.getString("members");
              }
            } else {
              System.out.println(label + line);
              if (!events) {
                // Fallback for applications whose logging does not go through JUL.
                Matcher m = PLAIN_TRANSITION.matcher(line);
                if (m.find()) {
                  status = m.group(2);
                }
              }
            }
            changed();
          }
        } catch (IOException | RuntimeException ignored) {
          // the node ended
        }
        changed();
      }
    }
  }
}
