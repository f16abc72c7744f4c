package com.example;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;

/**
 * The application's entry point: one clustered node configured by {@code CLOISTER_*} variables
 * (as a container or the local-cluster launcher sets them), running Cloister and the Greeter.
 */
public final class Main {

  private Main() {
  }

  /**
   * Starts the node.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    CloisterOptions options = CloisterOptions.fromEnvironment().validate();
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered().await();
    vertx.deployVerticle(new CloisterVerticle(options)).await();
    vertx.deployVerticle(new Greeter()).await();
  }
}
