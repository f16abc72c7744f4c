package dev.cloister.process;

import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.TestPorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's first command: the local-cluster launcher with {@code --until-ready} and no
 * {@code --timeout} waits for the nodes, however long they take, and exits 0 once all are READY;
 * each node's dashboard is where the launcher says.
 */
@Tag("process")
class LocalClusterTest {

  @Test
  void untilReadyWithoutTimeoutWaitsForTheNodes() throws Exception {
    int port = TestPorts.block(1).get(0);
    try (JavaProcess launcher = JavaProcess.launch("dev.cloister.launcher.LocalCluster", Map.of(),
      "--nodes", "1", "--base-port", String.valueOf(port), "--http-port", String.valueOf(TestPorts.block(1).get(0)),
      "--app", "untilready", "--until-ready")) {
      launcher.awaitLine("all nodes READY", l -> l.startsWith("local cluster: all 1 nodes READY"), 120_000);
      assertEquals(0, launcher.awaitExit(60_000));
    }
  }

  @Test
  void eachNodeServesTheDashboardItsLineNames() throws Exception {
    int port = TestPorts.block(1).get(0);
    int http = TestPorts.block(1).get(0);
    try (JavaProcess launcher = JavaProcess.launch("dev.cloister.launcher.LocalCluster", Map.of(),
      "--nodes", "1", "--base-port", String.valueOf(port), "--http-port", String.valueOf(http), "--app", "dashboards",
      "--timeout", "120")) {
      try {
        String line = launcher.awaitLine("the dashboard's address",
          l -> l.startsWith("local cluster: node-0 dashboard "), 60_000);
        String url = line.split(" ")[4];
        assertEquals("http://127.0.0.1:" + http + "/cloister/", url);
        launcher.awaitLine("all nodes READY", l -> l.startsWith("local cluster: all 1 nodes READY"), 120_000);
        HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>Cloister</title>"), page.body());
      } finally {
        // SIGTERM, as Ctrl-C: the launcher stops its nodes before it exits (a forced kill would orphan them).
        launcher.terminate();
        launcher.awaitExit(60_000);
      }
      // The launcher waits for its nodes before it exits: nothing serves the dashboard any more.
      assertThrows(IOException.class, () -> new Socket("127.0.0.1", http).close());
    }
  }
}
