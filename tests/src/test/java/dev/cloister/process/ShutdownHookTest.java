package dev.cloister.process;

import dev.cloister.launcher.NodeProcess;
import dev.cloister.testing.TestPorts;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain node JVM (no shutdown hook of the application's own) sent SIGTERM leaves through
 * Cloister's graceful path: its listener sees STOPPING then STOPPED (only Cloister's close fires
 * them), and the survivors find its record already removed, so they never purge it as a departed
 * member.
 */
@Tag("process")
class ShutdownHookTest {

  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    nodes.forEach(NodeProcess::close);
  }

  @Test
  void sigtermLeavesGracefully() throws Exception {
    List<Integer> ports = TestPorts.block(3);
    List<String> sentry = new ArrayList<>();
    ports.forEach(p -> sentry.add("127.0.0.1:" + p));
    for (int i = 0; i < 3; i++) {
      nodes.add(NodeProcess.launch("n" + i, Map.of(
        "CLOISTER_APP", "sigterm",
        "CLOISTER_SENTRY", String.join(",", sentry),
        "CLOISTER_CONSENSUS", "2",
        "CLOISTER_LOOPBACK", "true")));
    }
    for (NodeProcess n : nodes) {
      n.await("three members", 0, e -> "READY".equals(e.getString("to"))
        && e.getJsonObject("state").getJsonArray("members").size() == 3);
    }
    NodeProcess leaving = nodes.get(2);
    String name = leaving.lastState().getString("node");
    List<NodeProcess> survivors = nodes.subList(0, 2);
    List<Integer> marks = survivors.stream().map(n -> n.events().size()).toList();
    int mark = leaving.events().size();

    leaving.sigterm();

    JsonObject stopping = leaving.awaitTransitionTo("STOPPING", mark);
    assertEquals("READY", stopping.getString("from"));
    JsonObject stopped = leaving.awaitTransitionTo("STOPPED", mark);
    assertEquals("STOPPING", stopped.getString("from"));
    leaving.awaitExit(30);
    assertFalse(leaving.isAlive());
    for (int i = 0; i < survivors.size(); i++) {
      NodeProcess s = survivors.get(i);
      s.await("READY on two members", marks.get(i), e -> "READY".equals(e.getString("to"))
        && e.getJsonObject("state").getJsonArray("members").size() == 2);
      // A round trip through the survivor's command loop after the leaving JVM ended: by then its
      // own view change has been seen (a SIGTERMed JVM's sockets are closed).
      int m = s.events().size();
      assertTrue(s.send("state"));
      s.await("a state answer", m, e -> "state".equals(e.getString("event")));
      assertTrue(s.output().stream().noneMatch(l -> l.contains("purged departed member " + name)),
        "the departure took the crash path: " + s.output());
    }
  }
}
