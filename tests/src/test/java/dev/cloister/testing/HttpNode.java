package dev.cloister.testing;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;

import java.util.concurrent.TimeUnit;

/**
 * A node that serves Cloister's HTTP endpoint: starts from the {@code CLOISTER_*} environment,
 * asks its own endpoint for the given paths, prints each path's status, leaves and exits.
 */
public final class HttpNode {

  private HttpNode() {
  }

  /**
   * Runs the node once.
   *
   * @param args the paths to ask for
   * @throws Exception when the node cannot start or stop
   */
  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager()).buildClustered()
      .await(60, TimeUnit.SECONDS);
    CloisterHttpVerticle http = new CloisterHttpVerticle("127.0.0.1", 0);
    vertx.deployVerticle(http).await(60, TimeUnit.SECONDS);
    vertx.deployVerticle(new CloisterVerticle()).await(60, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    for (String path : args) {
      int status = client.request(HttpMethod.GET, http.actualPort(), "127.0.0.1", path)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
        .await(30, TimeUnit.SECONDS);
      System.out.println("GET " + path + " " + status);
    }
    vertx.close().await(30, TimeUnit.SECONDS);
    System.out.println("closed");
    System.exit(0);
  }
}
