package dev.cloister.testing;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;

/**
 * A node that uses only Cloister's core (no HTTP verticle, no RxJava binding): starts from the
 * {@code CLOISTER_*} environment, prints its state at READY and which optional libraries it can
 * load, asks who owns a key, leaves and exits.
 */
public final class MinimalNode {

  private MinimalNode() {
  }

  /**
   * Runs the node once.
   *
   * @param args class names to report as loadable or absent
   * @throws Exception when the node cannot start or stop
   */
  public static void main(String[] args) throws Exception {
    for (String name : args) {
      boolean present;
      try {
        Class.forName(name, false, MinimalNode.class.getClassLoader());
        present = true;
      } catch (ClassNotFoundException e) {
        present = false;
      }
      System.out.println("class " + name + (present ? " present" : " absent"));
    }
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager()).buildClustered()
      .await(60, TimeUnit.SECONDS);
    vertx.deployVerticle(new CloisterVerticle()).await(60, TimeUnit.SECONDS);
    Cloister cloister = Cloister.of(vertx);
    System.out.println("status " + cloister.state().getStatus() + " owner " + cloister.whois("user:42"));
    vertx.close().await(30, TimeUnit.SECONDS);
    System.out.println("closed");
    System.exit(0);
  }
}
