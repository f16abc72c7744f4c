package dev.cloister.kits;

import dev.cloister.testing.Repository;
import dev.cloister.CloisterHttpVerticle;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compose scenario of {@code docker/}: three replicas of the image find each other through the
 * network alias and all become ready. Needs a Docker engine: tagged {@code docker}, which the
 * default build excludes ({@code mvn verify -Dcloister.test.excludedGroups=none} runs it), and
 * skipped where no engine answers.
 */
@Tag("docker")
@Testcontainers(disabledWithoutDocker = true)
class ComposeClusterTest {

  private static final int NODES = 3;
  // Building the image and three JVM starts on a busy 2-core machine: minutes, not seconds.
  private static final Duration STARTUP = Duration.ofMinutes(10);

  @Container
  private static final ComposeContainer COMPOSE = compose();

  private static ComposeContainer compose() {
    ComposeContainer c = new ComposeContainer(Repository.path("docker", "compose.yml").toFile())
      // The local docker compose CLI: the build context is the repository root, above the compose file.
      .withLocalCompose(true)
      .withBuild(true)
      .withScaledService("app", NODES)
      .withStartupTimeout(STARTUP);
    for (int i = 1; i <= NODES; i++) {
      c = c.withExposedService("app", i, CloisterHttpVerticle.DEFAULT_PORT,
        Wait.forHttp(CloisterHttpVerticle.READY_PATH).forStatusCode(200).withStartupTimeout(STARTUP));
    }
    return c;
  }

  @Test
  void threeReplicasFormOneReadyCluster() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    String checksum = null;
    for (int i = 1; i <= NODES; i++) {
      String base = "http://" + COMPOSE.getServiceHost("app-" + i, CloisterHttpVerticle.DEFAULT_PORT) + ":"
        + COMPOSE.getServicePort("app-" + i, CloisterHttpVerticle.DEFAULT_PORT);
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + CloisterHttpVerticle.READY_PATH))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), ready.body());

      HttpResponse<String> stateAnswer = http.send(HttpRequest.newBuilder(URI.create(base + CloisterHttpVerticle.STATE_PATH))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      JsonObject state = new JsonObject(stateAnswer.body());
      assertEquals("READY", state.getString("status"), state.encode());
      assertTrue(state.getBoolean("quorate"));
      assertEquals(NODES, state.getJsonArray("members").size(), state.encode());
      if (checksum == null) {
        checksum = state.getString("checksum");
      }
      assertEquals(checksum, state.getString("checksum"), "every node sees the same membership");
    }
  }
}
