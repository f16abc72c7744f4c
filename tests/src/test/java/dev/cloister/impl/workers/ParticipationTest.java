package dev.cloister.impl.workers;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which members run a set. */
class ParticipationTest {

  private static final Map<String, String> LIVE = Map.of("a", "id-a", "b", "id-b", "c", "id-c");

  @Test
  void everyAnnouncedLiveMemberTakesPartInRingOrder() {
    assertEquals(List.of("a", "b", "c"), Participation.members(List.of("a", "b", "c"), LIVE, LIVE));
    assertEquals(List.of("a", "c"), Participation.members(List.of("a", "b", "c"), Map.of("c", "id-c", "a", "id-a"),
      LIVE));
  }

  @Test
  void anAnnouncementOfAnotherIncarnationOrOfANonMemberDoesNotCount() {
    assertEquals(List.of("b"), Participation.members(List.of("a", "b"),
      Map.of("a", "id-a-before-restart", "b", "id-b", "z", "id-z"), LIVE));
    assertEquals(List.of(), Participation.members(List.of("a"), Map.of(), LIVE));
  }
}
