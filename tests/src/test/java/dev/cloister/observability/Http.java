package dev.cloister.observability;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;

import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.InJvmCluster.await;

/** A loopback HTTP client for the endpoint tests: one answer per call, body as text. */
final class Http implements AutoCloseable {

  /** One answer. */
  record Answer(int status, String contentType, String allow, String body) {
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient client = vertx.createHttpClient();

  Answer call(int port, HttpMethod method, String uri) {
    // Nested so that the body handler is set as the response arrives.
    return await(client.request(method, port, "127.0.0.1", uri)
      .compose(req -> req.send()
        .compose((HttpClientResponse resp) -> resp.body()
          .map(b -> new Answer(resp.statusCode(), resp.getHeader("Content-Type"), resp.getHeader("Allow"),
            b.toString())))));
  }

  Answer get(int port, String uri) {
    return call(port, HttpMethod.GET, uri);
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
