package dev.cloister.process;

import dev.cloister.CloisterClusterManager;
import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.ReportingVerticle;
import dev.cloister.testing.TestPorts;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * README's recipe for Vert.x's own launcher: {@code VertxApplication <main verticle> --cluster},
 * with no cluster manager named anywhere, configured only by {@code CLOISTER_*} variables. Vert.x's
 * service loading must pick {@link CloisterClusterManager}, and two such JVMs form one cluster.
 */
@Tag("process")
class ServiceLoadingTest {

  private final List<JavaProcess> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    nodes.forEach(JavaProcess::close);
  }

  @Test
  void vertxApplicationWithClusterRunsOnCloistersClusterManager() throws Exception {
    List<Integer> ports = TestPorts.block(2);
    Map<String, String> env = Map.of(
      "CLOISTER_APP", "launched",
      "CLOISTER_SENTRY", "127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1),
      "CLOISTER_CONSENSUS", "2",
      "CLOISTER_LOOPBACK", "true");
    for (int i = 0; i < 2; i++) {
      nodes.add(JavaProcess.launch("io.vertx.launcher.application.VertxApplication", env,
        ReportingVerticle.class.getName(), "--cluster"));
    }
    for (JavaProcess node : nodes) {
      String manager = node.awaitLine("the cluster manager", l -> l.startsWith(ReportingVerticle.PREFIX + "clusterManager "),
        60_000);
      assertEquals(CloisterClusterManager.class.getName(), manager.substring(manager.lastIndexOf(' ') + 1));
      String state = node.awaitLine("the state", l -> l.startsWith(ReportingVerticle.PREFIX + "state "), 120_000);
      JsonObject json = new JsonObject(state.substring((ReportingVerticle.PREFIX + "state ").length()));
      assertEquals("READY", json.getString("status"));
      assertEquals("launched", json.getString("app"));
      assertEquals(2, json.getJsonArray("members").size(), json.encodePrettily());
    }
  }
}
