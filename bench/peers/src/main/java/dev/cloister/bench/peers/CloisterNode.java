package dev.cloister.bench.peers;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Cloister node with its default options; only where to find the others is set. Its members are
 * those of each {@code READY} state: the ring is installed on them.
 */
public final class CloisterNode {

  private CloisterNode() {
  }

  /**
   * The settings, as {@code CLOISTER_*} variables (the same names a deployment uses).
   *
   * @param tuned unused: Cloister runs its defaults
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("CLOISTER_SENTRY", "{seeds:127.0.0.1:%d}");
    s.put("CLOISTER_CLUSTER_PORT", "{port}");
    s.put("CLOISTER_LOOPBACK", "true");
    s.put("CLOISTER_NODE_NAME", "n{index}");
    return s;
  }

  /**
   * Starts the node.
   *
   * @param args see {@link NodeArgs#parse}
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    CloisterOptions options = new CloisterOptions().applyEnvironment(a.expand(settings(a.tuned())));
    Vertx vertx = cluster(options);
    NodeOutput.commands(() -> vertx.close().onComplete(NodeOutput::exitAfterLeave));
    deploy(vertx, options);
  }

  /**
   * Prints this node's id and starts its clustered Vert.x.
   *
   * @param options the Cloister's options
   * @return the clustered Vert.x
   * @throws Exception when it does not start within 120 s
   */
  static Vertx cluster(CloisterOptions options) throws Exception {
    NodeOutput.self(options.getNodeName());
    return Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
      .await(120, TimeUnit.SECONDS);
  }

  /**
   * Deploys the Cloister, which prints the members of each {@code READY} state.
   *
   * @param vertx the clustered Vert.x
   * @param options the Cloister's options
   * @return the deployment
   */
  static Future<String> deploy(Vertx vertx, CloisterOptions options) {
    return vertx.deployVerticle(new CloisterVerticle(options, (from, to, state) -> {
      if (to == CloisterStatus.READY) {
        NodeOutput.members(state.memberNames());
      }
    }));
  }
}
