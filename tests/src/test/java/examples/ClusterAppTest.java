package examples;

import dev.cloister.CloisterHttpVerticle;
import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.Repository;
import dev.cloister.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Docker image's application, run as its class documents for two nodes on one machine: one
 * configuration by environment variables, an HTTP port each. Both become ready; SIGTERM makes one
 * leave and exit, and the other stops being ready (consensus 2).
 */
@Tag("process")
class ClusterAppTest {

  private final List<JavaProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void tearDown() {
    nodes.forEach(JavaProcess::close);
  }

  private int status(int port, String path) {
    try {
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(2)).build();
      return http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void twoNodesBecomeReadyAndSigtermMakesOneLeave() throws IOException {
    List<Integer> cluster = TestPorts.block(2);
    List<Integer> httpPorts = TestPorts.block(2);
    Map<String, String> env = Map.of(
      "CLOISTER_APP", "clusterapp",
      "CLOISTER_SENTRY", "127.0.0.1:" + cluster.get(0) + ",127.0.0.1:" + cluster.get(1),
      "CLOISTER_CONSENSUS", "2",
      "CLOISTER_LOOPBACK", "true");
    // The image's logging configuration: the application's own lines at INFO.
    List<String> jvm = List.of("-Djava.util.logging.config.file=" + Repository.path("docker", "logging.properties"));
    for (int port : httpPorts) {
      nodes.add(JavaProcess.launch(System.getProperty("java.class.path"), jvm, "examples.ClusterApp", env,
        String.valueOf(port)));
    }
    for (int i = 0; i < 2; i++) {
      String ready = "Cloister node ready; health on port " + httpPorts.get(i);
      nodes.get(i).awaitLine("node ready", l -> l.contains(ready), 120_000);
      assertEquals(200, status(httpPorts.get(i), CloisterHttpVerticle.READY_PATH));
    }

    JavaProcess leaver = nodes.get(1);
    leaver.terminate();
    assertEquals(143, leaver.awaitExit(60_000), "exits as a JVM ends on SIGTERM, after Cloister's shutdown hook");
    assertTrue(leaver.lines().stream().noneMatch(l -> l.contains("did not leave gracefully on JVM shutdown")
      || l.contains("could not close Vert.x on JVM shutdown")), String.join("\n", leaver.lines()));

    eventually("the remaining node is below consensus, so not ready",
      () -> status(httpPorts.get(0), CloisterHttpVerticle.READY_PATH) == 503,
      () -> status(httpPorts.get(0), CloisterHttpVerticle.READY_PATH));
    nodes.get(0).awaitLine("stops taking work", l -> l.contains("stops taking work"), 30_000);
    assertEquals(200, status(httpPorts.get(0), CloisterHttpVerticle.LIVE_PATH), "still alive while waiting for quorum");
  }
}
