package dev.cloister.testing;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;

/**
 * A user's application as the app launcher runs it: a clustered Vert.x with
 * {@code CloisterClusterManager} and a {@code CloisterVerticle}, both configured by the
 * {@code CLOISTER_*} environment; it prints nothing of its own about Cloister's states.
 */
public final class LauncherAppMain {

  private LauncherAppMain() {
  }

  /**
   * Starts the node.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    CloisterClusterManager manager = new CloisterClusterManager();
    Vertx.builder().withClusterManager(manager).buildClustered()
      .compose(vertx -> vertx.deployVerticle(new CloisterVerticle(manager.options())))
      .onSuccess(id -> System.out.println("app started " + System.getenv("CLOISTER_NODE_NAME")))
      .onFailure(err -> {
        err.printStackTrace();
        System.exit(1);
      });
  }
}
