package dev.cloister.netrig;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The history checks themselves, on hand-made histories: what they flag and what they let pass. */
class InvariantsTest {

  private final List<History.Op> ops = new ArrayList<>();

  private void view(long at, String node, int id, String... members) {
    ops.add(new History.Op(at, node, "view", new JsonObject().put("self", "a-" + node).put("id", id)
      .put("members", new JsonArray(List.of(members).stream().map(m -> "a-" + m).toList()))));
  }

  private void state(long at, String node, String... members) {
    JsonArray ms = new JsonArray();
    for (String m : members) {
      ms.add(new JsonObject().put("name", m));
    }
    ops.add(new History.Op(at, node, "state", new JsonObject().put("state",
      new JsonObject().put("node", node).put("status", "READY").put("quorate", true).put("members", ms))));
  }

  @Test
  void aViewItsMemberInstallsButNeverServesIsFlagged() {
    view(1_000, "n1", 7, "n1", "n2", "n3");
    view(1_100, "n2", 7, "n1", "n2", "n3");
    view(1_100, "n3", 7, "n1", "n2", "n3");
    state(1_500, "n1", "n1", "n2", "n3");
    state(1_500, "n2", "n1", "n2", "n3");
    state(1_500, "n3", "n1", "n2", "n3", "n4");

    List<String> v = Invariants.stateFollowsView(ops, 0, 10_000, 3_000);

    assertEquals(1, v.size(), v.toString());
    assertTrue(v.get(0).startsWith("n3 did not follow view 7 of 3"), v.get(0));
  }

  @Test
  void aLateInstallStillCountsFromTheFirstInstall() {
    view(1_000, "n1", 7, "n1", "n2");
    view(3_900, "n2", 7, "n1", "n2");
    state(1_200, "n1", "n1", "n2");
    state(4_500, "n2", "n1", "n2");

    List<String> v = Invariants.stateFollowsView(ops, 0, 10_000, 3_000);

    assertEquals(1, v.size(), v.toString());
    assertTrue(v.get(0).startsWith("n2 did not follow view 7 of 2"), v.get(0));
  }

  @Test
  void aMemberThatNeverInstallsAMinoritysViewIsNotHeldToIt() {
    // n4's view still lists n1 and n3, which are on the other side and never receive it.
    view(1_000, "n1", 6, "n1", "n2", "n3");
    view(1_000, "n2", 6, "n1", "n2", "n3");
    view(1_000, "n3", 6, "n1", "n2", "n3");
    state(1_200, "n1", "n1", "n2", "n3");
    state(1_200, "n2", "n1", "n2", "n3");
    state(1_200, "n3", "n1", "n2", "n3");
    view(2_000, "n4", 7, "n1", "n3", "n4", "n5");
    view(2_000, "n5", 7, "n1", "n3", "n4", "n5");
    state(2_300, "n4", "n1", "n3", "n4", "n5");
    state(2_300, "n5", "n1", "n3", "n4", "n5");

    assertEquals(List.of(), Invariants.stateFollowsView(ops, 0, 10_000, 3_000));
  }
}
