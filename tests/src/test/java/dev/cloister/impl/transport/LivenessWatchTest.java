package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Who counts as heard from: the rule behind the quorum on fresh evidence. */
class LivenessWatchTest {

  private static final long WINDOW = 2_000_000_000L;
  private final Address self = UUID.randomUUID();
  private final Address a = UUID.randomUUID();
  private final Address b = UUID.randomUUID();

  @Test
  void membersHeardWithinTheWindowCountAndThisNodeAlways() {
    long now = 10 * WINDOW;
    Set<String> counted = LivenessWatch.heard(List.of(self, a, b), self, Map.of(a, now - WINDOW, b, now - WINDOW - 1),
      now, WINDOW);
    assertEquals(Set.of(self.toString(), a.toString()), counted);
  }

  @Test
  void aMemberNeverHeardFromDoesNotCount() {
    assertEquals(Set.of(self.toString()), LivenessWatch.heard(List.of(self, a), self, Map.of(), 0, WINDOW));
  }

  @Test
  void theRuleDoesNotDependOnTheSignOfTheClock() {
    long now = -5 * WINDOW;
    assertEquals(Set.of(self.toString(), a.toString()),
      LivenessWatch.heard(List.of(self, a, b), self, Map.of(a, now - 1, b, now - 3 * WINDOW), now, WINDOW));
  }
}
