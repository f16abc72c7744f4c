package dev.cloister.launcher;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;

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
 * standard input leaves gracefully; SIGTERM and SIGINT do too. {@code state} prints the state; an
 * {@link Extension} may add its own commands (the fault tests' node does). Each JGroups
 * view the node installs is printed too ({@code {"event":"view","id":..,"members":[..]}}), so that a
 * test can tell how far Cloister's state lags behind the transport.
 */
public final class NodeMain {

  /** Prefix of the machine-readable event lines. */
  public static final String EVENT_PREFIX = "@@cloister ";
  /**
   * System property: when set, the node also serves {@link CloisterHttpVerticle} (health, state,
   * dashboard, metrics) on 127.0.0.1 at this port, as the local-cluster launcher asks.
   */
  public static final String HTTP_PORT_PROPERTY = "cloister.http.port";

  // JUL keeps loggers weakly: these references keep the quieter levels in force.
  private static final Logger[] QUIET = {
    Logger.getLogger("org.infinispan"), Logger.getLogger("org.jgroups"), Logger.getLogger("org.jboss")};

  private NodeMain() {
  }

  /**
   * What a node JVM built on this one adds: work done before the Cloister deploys, and commands
   * of its own on standard input.
   */
  public interface Extension {

    /**
     * Called once the clustered Vert.x has joined, before the Cloister deploys.
     *
     * @param vertx the clustered Vert.x
     * @param options the node's options
     */
    default void beforeCloister(Vertx vertx, CloisterOptions options) {
    }

    /**
     * Called once the Cloister is deployed and READY, before commands are read.
     *
     * @param vertx the clustered Vert.x
     * @param cloister the node's Cloister
     * @throws Exception when the node cannot go on
     */
    default void afterCloister(Vertx vertx, Cloister cloister) throws Exception {
    }

    /**
     * One command line that is not {@code stop} or {@code state}.
     *
     * @param vertx the clustered Vert.x
     * @param line the trimmed line
     * @return whether the command was known
     */
    default boolean command(Vertx vertx, String line) {
      return false;
    }
  }

  /**
   * Starts the node.
   *
   * @param args ignored: the environment configures the node
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    run(new Extension() { });
  }

  /**
   * Starts the node with an extension, and serves its commands until {@code stop}.
   *
   * @param extension what the node adds
   * @throws Exception when the node cannot start
   */
  public static void run(Extension extension) throws Exception {
    if (System.getProperty("java.util.logging.config.file") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %5$s%6$s%n");
      for (Logger l : QUIET) {
        l.setLevel(Level.SEVERE);
      }
    }
    CloisterOptions options = CloisterOptions.fromEnvironment().validate();
    // The no-argument constructor reads the same CLOISTER_* variables: the way containers build it.
    CloisterClusterManager manager = new CloisterClusterManager();
    Vertx vertx = Vertx.builder().withClusterManager(manager).buildClustered()
      .await(120, TimeUnit.SECONDS);
    EmbeddedCacheManager caches = (EmbeddedCacheManager) manager.getCacheContainer();
    String self = String.valueOf(caches.getAddress());
    caches.addListener(new ViewPrinter(self));
    printView(self, caches.getMembers().stream().map(String::valueOf).toList(), -1, false);
    printEvent(new JsonObject().put("event", "joined"));
    extension.beforeCloister(vertx, options);
    Integer httpPort = Integer.getInteger(HTTP_PORT_PROPERTY);
    if (httpPort != null) {
      serveHttp(vertx, httpPort);
    }
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
    try {
      extension.afterCloister(vertx, verticle.cloister());
    } catch (Exception e) {
      printEvent(new JsonObject().put("event", "failed").put("message", String.valueOf(e)));
      System.err.println("Cloister node failed after its start: " + e);
      close(vertx);
      System.exit(2);
    }
    readCommands(vertx, extension);
  }

  /**
   * Deployed before the Cloister, so that probes and the dashboard answer while the node waits for
   * consensus. Optional: a port already taken costs the node its dashboard, not its start.
   */
  private static void serveHttp(Vertx vertx, int port) {
    try {
      vertx.deployVerticle(new CloisterHttpVerticle("127.0.0.1", port)).await(30, TimeUnit.SECONDS);
      printEvent(new JsonObject().put("event", "http").put("url", "http://127.0.0.1:" + port + "/cloister/"));
    } catch (Exception | LinkageError e) {
      System.err.println("No dashboard on 127.0.0.1:" + port + ": " + e.getMessage());
    }
  }

  private static void readCommands(Vertx vertx, Extension extension) throws Exception {
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
          if (!extension.command(vertx, line.trim())) {
            System.err.println("unknown command: " + line);
          }
        }
      }
    }
    // Standard input closed (launched without one): keep running until a signal.
    Thread.currentThread().join();
  }

  private static void printView(String self, List<String> members, int id, boolean merge) {
    printEvent(new JsonObject().put("event", "view").put("self", self).put("id", id).put("merge", merge)
      .put("members", new JsonArray(members)));
  }

  /** Prints every view the node's cache manager installs, merges included. */
  @Listener(sync = false)
  public static final class ViewPrinter {

    private final String self;

    ViewPrinter(String self) {
      this.self = self;
    }

    /**
     * Prints the new view.
     *
     * @param e the view change (a merge is one)
     */
    @ViewChanged
    @Merged
    public void viewChanged(ViewChangedEvent e) {
      printView(self, e.getNewMembers().stream().map(String::valueOf).toList(), e.getViewId(),
        e.isMergeView());
    }
  }

  /**
   * Prints one machine-readable event line.
   *
   * @param event the event; its time is added
   */
  public static synchronized void printEvent(JsonObject event) {
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
