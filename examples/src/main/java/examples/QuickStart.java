package examples;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

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

    Vertx vertx = Vertx.builder()
      .withClusterManager(new CloisterClusterManager(options))
      .buildClustered().await();

    vertx.deployVerticle(new CloisterVerticle(options, (from, to, state) ->
        System.out.println(from + " -> " + to + " " + state.getMembers())))
      .await();

    Cloister cloister = Cloister.of(vertx);
    vertx.eventBus().consumer("cache.rebuild", m -> m.reply(new JsonObject().put("rebuilt", true)));
    System.out.println("user:42 belongs to " + cloister.whois("user:42") + "; mine: " + cloister.mine("user:42"));
    cloister.multicall("cache.rebuild", new JsonObject())
      .onSuccess(replies -> replies.forEach(r -> System.out.println(r.getNode() + " " + r.isSucceeded())));
  }
}
