package dev.cloister.process;

import dev.cloister.launcher.NodeProcess;
import dev.cloister.testing.TestPorts;
import io.vertx.core.json.JsonArray;
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

/** Three node JVMs, one killed with {@code kill -9}: what the survivors make of it. */
@Tag("process")
class CrashTest {

  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    nodes.forEach(NodeProcess::close);
  }

  private List<String> startThree(int consensus) throws Exception {
    List<Integer> ports = TestPorts.block(3);
    List<String> sentry = new ArrayList<>();
    ports.forEach(p -> sentry.add("127.0.0.1:" + p));
    for (int i = 0; i < 3; i++) {
      // One configuration for all three: each binds the first free port the sentry names.
      nodes.add(NodeProcess.launch("n" + i, Map.of(
        "CLOISTER_APP", "crash",
        "CLOISTER_SENTRY", String.join(",", sentry),
        "CLOISTER_CONSENSUS", String.valueOf(consensus),
        "CLOISTER_LOOPBACK", "true")));
    }
    for (NodeProcess n : nodes) {
      n.awaitTransitionTo("READY", 0);
    }
    for (NodeProcess n : nodes) {
      n.await("three members", 0, e -> e.containsKey("state")
        && e.getJsonObject("state").getJsonArray("members").size() == 3);
    }
    return sentry;
  }

  private static List<String> names(JsonObject state) {
    List<String> names = new ArrayList<>();
    for (Object m : state.getJsonArray("members", new JsonArray())) {
      names.add(((JsonObject) m).getString("name"));
    }
    return names;
  }

  @Test
  void withConsensusTwoTheSurvivorsPurgeTheKilledNodeAndReturnToReady() throws Exception {
    List<String> sentry = startThree(2);
    NodeProcess victim = nodes.get(2);
    String victimName = victim.lastState().getString("node");
    List<NodeProcess> survivors = nodes.subList(0, 2);
    List<Integer> marks = survivors.stream().map(n -> n.events().size()).toList();

    victim.kill9();
    assertFalse(victim.isAlive());

    for (int i = 0; i < survivors.size(); i++) {
      NodeProcess s = survivors.get(i);
      s.awaitTransitionTo("REHASHING", marks.get(i));
      JsonObject ready = s.await("READY on two members", marks.get(i), e -> "READY".equals(e.getString("to"))
        && e.getJsonObject("state").getJsonArray("members").size() == 2);
      List<String> members = names(ready.getJsonObject("state"));
      assertFalse(members.contains(victimName), "the killed node is no member: " + members);
      assertTrue(ready.getJsonObject("state").getBoolean("quorate"));
      assertEquals(List.of(victimAddress(victimName)), ready.getJsonObject("state").getJsonArray("missing").getList(),
        "the killed node's sentry address is reported missing");
    }
    assertEquals(names(survivors.get(0).lastState()), names(survivors.get(1).lastState()));
    assertTrue(sentry.contains(victimAddress(victimName)));
  }

  @Test
  void withConsensusThreeTheSurvivorsStayRehashingAndNotQuorate() throws Exception {
    startThree(3);
    NodeProcess victim = nodes.get(0);
    List<NodeProcess> survivors = nodes.subList(1, 3);
    List<Integer> marks = survivors.stream().map(n -> n.events().size()).toList();
    victim.kill9();
    for (int i = 0; i < survivors.size(); i++) {
      NodeProcess s = survivors.get(i);
      JsonObject e = s.await("REHASHING with two members", marks.get(i), ev -> "REHASHING".equals(ev.getString("to"))
        && ev.getJsonObject("state").getJsonArray("members").size() == 2);
      assertFalse(e.getJsonObject("state").getBoolean("quorate"));
      // READY until the kill, then REHASHING without quorum: at once on two members, or first on
      // three when the victim's silence counted before its departure from the view (a loaded machine).
      List<JsonObject> after = s.events().subList(marks.get(i), s.events().indexOf(e) + 1).stream()
        .filter(ev -> ev.getJsonObject("state") != null).toList();
      assertEquals("READY", after.get(0).getString("from"), "the first transition after the kill: " + after);
      assertTrue(after.stream().allMatch(ev -> "REHASHING".equals(ev.getString("to"))
        && !ev.getJsonObject("state").getBoolean("quorate")), "never quorate after the kill: " + after);
    }
    // Graceful leave of one more: the last node hears of it and stays below consensus.
    NodeProcess last = survivors.get(1);
    int mark = last.events().size();
    assertTrue(survivors.get(0).stop(), "a graceful stop ends the JVM");
    JsonObject alone = last.await("one member", mark, ev -> "REHASHING".equals(ev.getString("to"))
      && ev.getJsonObject("state").getJsonArray("members").size() == 1);
    assertEquals("REHASHING", alone.getString("from"));
    assertFalse(alone.getJsonObject("state").getBoolean("quorate"));
  }

  private static String victimAddress(String nodeName) {
    return nodeName.substring(nodeName.indexOf('@') + 1);
  }
}
