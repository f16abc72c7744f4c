package dev.cloister.process;

import dev.cloister.CloisterOptions;
import dev.cloister.impl.config.FailureDetection;
import dev.cloister.launcher.NodeProcess;
import dev.cloister.testing.TestPorts;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three node JVMs, consensus 2, one frozen with SIGSTOP for four seconds (a long GC pause, a
 * stalled VM) and then resumed: with the default timings the others expel it, with a raised
 * {@code suspectTimeout} they keep it through the whole pause.
 */
@Tag("process")
class LongPauseTest {

  /** Longer than the default failure detection (2000 ms of silence, then a 500 ms check). */
  private static final long PAUSE_MS = 4000;

  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (NodeProcess n : nodes) {
      signal(n, "CONT");
      n.close();
    }
  }

  private void startThree(Map<String, String> extra) throws Exception {
    List<String> sentry = TestPorts.block(3).stream().map(p -> "127.0.0.1:" + p).toList();
    for (int i = 0; i < 3; i++) {
      Map<String, String> env = new HashMap<>(Map.of(
        "CLOISTER_APP", "pause",
        "CLOISTER_SENTRY", String.join(",", sentry),
        "CLOISTER_CONSENSUS", "2",
        "CLOISTER_LOOPBACK", "true"));
      env.putAll(extra);
      nodes.add(NodeProcess.launch("n" + i, env));
    }
    for (NodeProcess n : nodes) {
      n.await("READY on three", 0, e -> "READY".equals(e.getString("to")) && members(e) == 3);
    }
  }

  private static int members(JsonObject event) {
    return event.getJsonObject("state").getJsonArray("members").size();
  }

  private static void signal(NodeProcess node, String signal) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("cannot send SIG" + signal + " to " + node.name(), e);
    }
  }

  /** Freezes the node for {@link #PAUSE_MS}: its sockets stay open, so only heartbeats can tell. */
  private static void pause(NodeProcess node) throws InterruptedException {
    signal(node, "STOP");
    // The pause is the fault being simulated, not a wait for a condition.
    Thread.sleep(PAUSE_MS);
    signal(node, "CONT");
  }

  @Test
  void withDefaultTimingsAFourSecondPauseExpelsTheNode() throws Exception {
    startThree(Map.of());
    List<NodeProcess> others = nodes.subList(0, 2);
    List<Integer> marks = others.stream().map(n -> n.events().size()).toList();

    pause(nodes.get(2));

    for (int i = 0; i < others.size(); i++) {
      others.get(i).await("the paused node expelled", marks.get(i), e -> e.containsKey("state") && members(e) == 2);
    }
  }

  @Test
  void aRaisedSuspectTimeoutKeepsANodeThroughTheSamePause() throws Exception {
    long suspectTimeout = 8000;
    startThree(Map.of("CLOISTER_SUSPECT_TIMEOUT", Long.toString(suspectTimeout)));
    List<NodeProcess> others = nodes.subList(0, 2);
    List<Integer> marks = others.stream().map(n -> n.events().size()).toList();
    long pausedAt = System.nanoTime();

    pause(nodes.get(2));

    // The absence of an expulsion can only be checked once the whole detection window has passed:
    // the failure-detection bound of these timings from the start of the pause, and a margin.
    long window = new FailureDetection(CloisterOptions.DEFAULT_HEARTBEAT_INTERVAL, suspectTimeout,
      CloisterOptions.DEFAULT_VERIFY_SUSPECT_TIMEOUT, CloisterOptions.DEFAULT_JOIN_TIMEOUT).bound() + 2000;
    long left = window - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
    if (left > 0) {
      Thread.sleep(left);
    }
    for (int i = 0; i < others.size(); i++) {
      NodeProcess n = others.get(i);
      int m = n.events().size();
      assertTrue(n.send("state"));
      JsonObject state = n.await("a state answer", m, e -> "state".equals(e.getString("event")));
      assertEquals(3, state.getJsonObject("state").getJsonArray("members").size(), state.encodePrettily());
      assertEquals("READY", state.getJsonObject("state").getString("status"), state.encodePrettily());
      List<JsonObject> since = n.events().subList(marks.get(i), n.events().size());
      assertTrue(since.stream().noneMatch(e -> e.containsKey("to") && !"READY".equals(e.getString("to"))),
        n.name() + " left READY during the pause: " + since);
      assertTrue(since.stream().noneMatch(e -> "view".equals(e.getString("event"))),
        n.name() + " installed a new view during the pause: " + since);
    }
  }
}
