package dev.cloister.impl.membership;

import dev.cloister.CloisterStatus;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Members back in the view whose records were purged while they were away. */
class ReturningMembersTest {

  private static MembersCache.Snapshot snapshot(Set<String> view, String... recordIds) {
    Map<String, MemberRecord> records = new HashMap<>();
    for (String id : recordIds) {
      records.put("n-" + id, new MemberRecord("n-" + id, "app", "app", "127.0.0.1", 7800, id, 1, CloisterStatus.READY, null));
    }
    return new MembersCache.Snapshot(records, Map.of(), view, 7);
  }

  @Test
  void aMemberBackInTheViewWithoutItsRecordIsWaitedFor() {
    assertEquals(Set.of("b"), ReconcileRules.returningWithoutRecord(snapshot(Set.of("a", "b"), "a"), Set.of("b")));
  }

  @Test
  void itsRecordBackEndsTheWait() {
    assertEquals(Set.of(), ReconcileRules.returningWithoutRecord(snapshot(Set.of("a", "b"), "a", "b"), Set.of("b")));
  }

  @Test
  void aMemberStillAwayOrNeverGoneIsNotWaitedFor() {
    assertEquals(Set.of(), ReconcileRules.returningWithoutRecord(snapshot(Set.of("a"), "a"), Set.of("b")));
    // Joining for the first time (never seen leaving): its record follows its join as always.
    assertEquals(Set.of(), ReconcileRules.returningWithoutRecord(snapshot(Set.of("a", "c"), "a"), Set.of("b")));
  }
}
