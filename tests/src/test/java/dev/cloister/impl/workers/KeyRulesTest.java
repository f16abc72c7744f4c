package dev.cloister.impl.workers;

import dev.cloister.CloisterException;
import dev.cloister.WorkersOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a worker set accepts: names, keys, payloads, options, the fence. */
class KeyRulesTest {

  @Test
  void badKeysAndPayloadsAreBadRequests() {
    assertEquals(400, assertThrows(CloisterException.class, () -> KeyRules.key(null)).code());
    assertEquals(400, assertThrows(CloisterException.class, () -> KeyRules.key("")).code());
    assertEquals(400, assertThrows(CloisterException.class, () -> KeyRules.key("x".repeat(KeyRules.MAX_KEY + 1))).code());
    assertEquals(400, assertThrows(CloisterException.class, () -> KeyRules.key(12)).code());
    assertEquals(400, assertThrows(CloisterException.class, () -> KeyRules.json("payload", null)).code());
    assertEquals("{\"a\":1}", KeyRules.json("payload", new JsonObject().put("a", 1)));
    assertEquals("k", KeyRules.key("k"));
  }

  @Test
  void setNamesAreShortAndPlain() {
    assertEquals("orders.v2_x-1", KeyRules.name("orders.v2_x-1"));
    assertThrows(IllegalArgumentException.class, () -> KeyRules.name("a b"));
    assertThrows(IllegalArgumentException.class, () -> KeyRules.name(""));
    assertThrows(IllegalArgumentException.class, () -> KeyRules.name(null));
  }

  @Test
  void optionsNameTheOptionTheyRefuse() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkersOptions().setTick(-1))
      .getMessage().contains("tick"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkersOptions().setPerformTimeout(0))
      .getMessage().contains("performTimeout"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkersOptions().setHandoffTimeout(0))
      .getMessage().contains("handoffTimeout"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkersOptions(new JsonObject().put("tik", 1)))
      .getMessage().contains("tik"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new WorkersOptions(new JsonObject().put("tick", "1")))
      .getMessage().contains("tick"));
    WorkersOptions o = new WorkersOptions(new JsonObject().put("group", "g").put("tick", 0).put("fence", 9000));
    assertEquals(o.toJson(), new WorkersOptions(o.toJson()).toJson());
    assertEquals(0, o.getTick());
    assertEquals(9000, o.getFence());
  }

  @Test
  void aFenceBelowTheFailureDetectionBoundIsRefusedByName() {
    long bound = 3_000;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DetectionBound.fence(bound - 1, bound));
    assertTrue(e.getMessage().contains("fence"), e.getMessage());
    assertEquals(bound, DetectionBound.fence(bound, bound));
    assertTrue(DetectionBound.fence(-1, bound) > bound, "the default adds a margin");
  }
}
