package examples;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.NodeReply;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.PrintStream;
import java.util.List;

/**
 * README's quick start: three nodes of app "shop", consensus 3; the deployment of
 * {@link CloisterVerticle} completes once all three are up, then the application asks who owns
 * what and calls its siblings.
 */
public final class QuickStart {

  private QuickStart() {
  }

  /**
   * Starts one node; run it on each of the three hosts.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    CloisterOptions options = new CloisterOptions()
      .setApp("shop")
      .setSentry(List.of("10.0.0.1:7800", "10.0.0.2:7800", "10.0.0.3:7800"))
      .setConsensus(3);
    run(options, System.out);
  }

  /**
   * Starts a node with {@code options}, waits for consensus, then asks who owns a key and calls
   * every sibling once.
   *
   * @param options the node's options
   * @param out where to print what happens
   * @return the node's Vert.x, still running
   */
  public static Vertx run(CloisterOptions options, PrintStream out) {
    Vertx vertx = Vertx.builder()
      .withClusterManager(new CloisterClusterManager(options))
      .buildClustered().await();

    vertx.deployVerticle(new CloisterVerticle(options, (from, to, state) ->
        out.println(from + " -> " + to + " " + state.memberNames())))
      .await();

    Cloister cloister = Cloister.of(vertx);
    vertx.eventBus().consumer("cache.rebuild", m -> m.reply(new JsonObject().put("rebuilt", true))).completion().await();
    out.println("user:42 belongs to " + cloister.whois("user:42") + "; mine: " + cloister.mine("user:42"));
    List<NodeReply> replies = cloister.multicall("cache.rebuild", new JsonObject()).await();
    replies.forEach(r -> out.println("reply from " + r.getNode() + " " + r.isSucceeded()));
    return vertx;
  }
}
