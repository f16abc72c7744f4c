package dev.cloister.process;

import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.TestPorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * README's first command: the local-cluster launcher with {@code --until-ready} and no
 * {@code --timeout} waits for the nodes, however long they take, and exits 0 once all are READY.
 */
@Tag("process")
class LocalClusterTest {

  @Test
  void untilReadyWithoutTimeoutWaitsForTheNodes() throws Exception {
    int port = TestPorts.block(1).get(0);
    try (JavaProcess launcher = JavaProcess.launch("dev.cloister.impl.launcher.LocalCluster", Map.of(),
      "--nodes", "1", "--base-port", String.valueOf(port), "--app", "untilready", "--until-ready")) {
      launcher.awaitLine("all nodes READY", l -> l.startsWith("local cluster: all 1 nodes READY"), 120_000);
      assertEquals(0, launcher.awaitExit(60_000));
    }
  }
}
