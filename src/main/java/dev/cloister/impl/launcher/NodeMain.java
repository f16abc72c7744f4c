package dev.cloister.impl.launcher;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Cloister node in its own JVM, configured only by {@code CLOISTER_*} environment variables,
 * as a container runs it. Used by the local-cluster launcher, the process tests and the benchmarks.
 *
 * <p>Every transition is printed on standard output as one line
 * {@code @@cloister {"at":epochMs,"from":..,"to":..,"state":{..}}}; the line {@code stop} on
 * standard input leaves gracefully; SIGTERM and SIGINT do too. {@code state} prints the state;
 * fault tests may also partition the node (see {@link Partitioner#ENABLE_PROPERTY}).
 */
public final class NodeMain {

  /** Prefix of the machine-readable event lines. */
  public static final String EVENT_PREFIX = "@@cloister ";

  // JUL keeps loggers weakly: these references keep the quieter levels in force.
  private static final Logger[] QUIET = {
    Logger.getLogger("org.infinispan"), Logger.getLogger("org.jgroups"), Logger.getLogger("org.jboss")};

  private NodeMain() {
  }

  /**
   * Starts the node.
   *
   * @param args ignored: the environment configures the node
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.config.file") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %5$s%6$s%n");
      for (Logger l : QUIET) {
        l.setLevel(Level.SEVERE);
      }
    }
    CloisterOptions options = CloisterOptions.fromEnvironment().validate();
    // The no-argument constructor reads the same CLOISTER_* variables: the way containers build it.
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager()).buildClustered()
      .await(120, TimeUnit.SECONDS);
    printEvent(new JsonObject().put("event", "joined"));
    CloisterVerticle verticle = new CloisterVerticle(options, (from, to, state) ->
      printEvent(new JsonObject().put("from", from.name()).put("to", to.name()).put("state", state.toJson())));
    // No shutdown hook of its own: Cloister's (option shutdownHook) leaves gracefully on SIGTERM.
    try {
      vertx.deployVerticle(verticle).await();
    } catch (Exception e) {
      printEvent(new JsonObject().put("event", "failed").put("message", String.valueOf(e.getMessage())));
      System.err.println("Cloister node failed to start: " + e.getMessage());
      close(vertx);
      System.exit(2);
    }
    readCommands(vertx);
  }

  private static void readCommands(Vertx vertx) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      switch (line.trim()) {
        case "stop" -> {
          close(vertx);
          System.exit(0);
        }
        case "state" -> printEvent(new JsonObject().put("event", "state")
          .put("state", Cloister.of(vertx).state().toJson()));
        default -> {
          if (!faultCommand(vertx, line.trim())) {
            System.err.println("unknown command: " + line);
          }
        }
      }
    }
    // Standard input closed (launched without one): keep running until a signal.
    Thread.currentThread().join();
  }

  /**
   * The commands of fault tests, accepted only with {@code -Dcloister.faults=true}:
   * {@code whois <key>}, {@code partition <host:port>,...} (drop all traffic from the nodes bound
   * there) and {@code heal}.
   */
  private static boolean faultCommand(Vertx vertx, String line) {
    if (!Boolean.getBoolean(Partitioner.ENABLE_PROPERTY)) {
      return false;
    }
    String[] words = line.split("\\s+", 2);
    try {
      switch (words[0]) {
        case "whois" -> {
          JsonObject e = new JsonObject().put("event", "whois").put("key", words.length > 1 ? words[1] : "");
          try {
            e.put("node", Cloister.of(vertx).whois(e.getString("key")));
          } catch (CloisterException ce) {
            e.put("code", ce.code());
          }
          printEvent(e);
        }
        case "partition" -> printEvent(new JsonObject().put("event", "partitioned").put("ignored",
          Partitioner.of(vertx).isolateFromPhysical(List.of(words[1].split(","))).toString()));
        case "heal" -> {
          Partitioner.of(vertx).heal();
          printEvent(new JsonObject().put("event", "healed"));
        }
        default -> {
          return false;
        }
      }
    } catch (Exception e) {
      printEvent(new JsonObject().put("event", "error").put("message", String.valueOf(e)));
    }
    return true;
  }

  private static synchronized void printEvent(JsonObject event) {
    System.out.println(EVENT_PREFIX + event.put("at", System.currentTimeMillis()).encode());
    System.out.flush();
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("Cloister node did not close cleanly: " + e.getMessage());
    }
  }
}
