package dev.cloister.process;

import dev.cloister.launcher.NodeProcess;
import dev.cloister.testing.ClusteredOnlyMain;
import dev.cloister.testing.JavaProcess;
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
 * A JVM clustered with {@code CloisterClusterManager} that has not started any Cloister yet is
 * sent SIGTERM: the library's hook closes its Vert.x, so Infinispan stops (its caches report it)
 * and the node leaves the view of the two Cloister nodes beside it.
 */
@Tag("process")
class ShutdownBeforeCloisterTest {

  private final List<NodeProcess> nodes = new ArrayList<>();
  private JavaProcess bare;

  @AfterEach
  void tearDown() {
    nodes.forEach(NodeProcess::close);
    if (bare != null) {
      bare.close();
    }
  }

  private static int viewSize(JsonObject e) {
    return "view".equals(e.getString("event")) ? e.getJsonArray("members").size() : -1;
  }

  @Test
  void sigtermBeforeAnyCloisterStillLeavesTheClusterGracefully() throws Exception {
    List<String> sentry = TestPorts.block(3).stream().map(p -> "127.0.0.1:" + p).toList();
    Map<String, String> env = Map.of(
      "CLOISTER_APP", "bare",
      "CLOISTER_SENTRY", String.join(",", sentry),
      "CLOISTER_CONSENSUS", "2",
      "CLOISTER_LOOPBACK", "true");
    for (int i = 0; i < 2; i++) {
      nodes.add(NodeProcess.launch("n" + i, env));
    }
    for (NodeProcess n : nodes) {
      n.awaitTransitionTo("READY", 0);
    }
    bare = JavaProcess.launch(ClusteredOnlyMain.class.getName(), env);
    bare.awaitLine("joined", l -> l.startsWith(ClusteredOnlyMain.JOINED + " "), 60_000);
    for (NodeProcess n : nodes) {
      n.await("a view of three", 0, e -> viewSize(e) == 3);
    }
    List<Integer> marks = nodes.stream().map(n -> n.events().size()).toList();

    bare.terminate();

    bare.awaitLine("Infinispan stopping the caches", l -> l.equals(ClusteredOnlyMain.CACHE_STOPPED + "__vertx.subs"),
      30_000);
    bare.awaitExit(30_000);
    for (int i = 0; i < nodes.size(); i++) {
      NodeProcess n = nodes.get(i);
      JsonObject view = n.await("a view of two", marks.get(i), e -> viewSize(e) == 2);
      assertEquals(2, view.getJsonArray("members").size());
      assertEquals("READY", n.lastState().getString("status"), "the Cloister nodes were never disturbed");
    }
  }
}
