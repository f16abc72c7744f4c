package dev.cloister.junit5.internal;

import dev.cloister.CallOptions;
import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.NodeReply;
import dev.cloister.launcher.NodeMain;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The node JVM of the fault tests and the fault soak: {@link NodeMain} plus an echo consumer that
 * tests multicall, and the commands {@code whois <key>}, {@code owners <n>} (the owner of keys
 * {@code k0..k<n-1>}, or the error code), {@code multicall <node>} (the echo consumer of that node,
 * with the default timeout), {@code partition <host:port>,...} (drop all traffic from the nodes
 * bound there, see {@link Partitioner}) and {@code heal}. Each answers with one event line.
 */
public final class FaultNodeMain implements NodeMain.Extension {

  /** The event-bus address of the echo consumer that fault tests multicall. */
  public static final String ECHO_ADDRESS = "cloister.faults.echo";

  /** Creates the extension, for node JVMs that add to it. */
  public FaultNodeMain() {
  }

  /**
   * Starts the node.
   *
   * @param args ignored: the environment configures the node
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeMain.run(new FaultNodeMain());
  }

  @Override
  public void beforeCloister(Vertx vertx, CloisterOptions options) {
    vertx.eventBus().consumer(ECHO_ADDRESS, m -> m.reply(options.getNodeName()));
  }

  @Override
  public boolean command(Vertx vertx, String line) {
    String[] words = line.split("\\s+", 2);
    try {
      switch (words[0]) {
        case "whois" -> whois(vertx, words.length > 1 ? words[1] : "");
        case "owners" -> owners(vertx, Integer.parseInt(words[1]));
        case "multicall" -> multicall(vertx, words[1]);
        case "partition" -> NodeMain.printEvent(new JsonObject().put("event", "partitioned").put("ignored",
          Partitioner.of(vertx).isolateFromPhysical(List.of(words[1].split(","))).toString()));
        case "heal" -> {
          Partitioner.of(vertx).heal();
          NodeMain.printEvent(new JsonObject().put("event", "healed"));
        }
        default -> {
          return false;
        }
      }
    } catch (Exception e) {
      NodeMain.printEvent(new JsonObject().put("event", "error").put("message", String.valueOf(e)));
    }
    return true;
  }

  private static void whois(Vertx vertx, String key) {
    JsonObject e = new JsonObject().put("event", "whois").put("key", key);
    try {
      e.put("node", Cloister.of(vertx).whois(key));
    } catch (CloisterException ce) {
      e.put("code", ce.code());
    }
    NodeMain.printEvent(e);
  }

  private static void owners(Vertx vertx, int n) {
    JsonObject owners = new JsonObject();
    try {
      for (int i = 0; i < n; i++) {
        owners.put("k" + i, Cloister.of(vertx).whois("k" + i));
      }
      NodeMain.printEvent(new JsonObject().put("event", "owners").put("owners", owners));
    } catch (CloisterException ce) {
      NodeMain.printEvent(new JsonObject().put("event", "owners").put("code", ce.code()));
    }
  }

  private static void multicall(Vertx vertx, String node) {
    long sent = System.currentTimeMillis();
    Cloister.of(vertx).multicall(List.of(node), ECHO_ADDRESS, null, new CallOptions()).onComplete(ar -> {
      JsonObject e = new JsonObject().put("event", "multicall").put("node", node)
        .put("sent", sent).put("ms", System.currentTimeMillis() - sent);
      if (ar.succeeded()) {
        e.put("replies", new JsonArray(ar.result().stream().map(NodeReply::toJson).toList()));
      } else {
        e.put("error", String.valueOf(ar.cause()));
      }
      NodeMain.printEvent(e);
    });
  }
}
