package dev.cloister.impl.membership;

import dev.cloister.CloisterStatus;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whom a node asks to write its record again, and when. */
class StaleRecordsTest {

  private static final MemberRecord SELF = record("a", "id-a", "app", "new");

  private static MemberRecord record(String name, String id, String app, String checksum) {
    return new MemberRecord(name, app, app, "127.0.0.1", 7800, id, 1, CloisterStatus.READY, checksum);
  }

  private static MembersCache.Snapshot snapshot(Set<String> view, MemberRecord... records) {
    Map<String, MemberRecord> byName = new HashMap<>();
    Map<String, String> raw = new HashMap<>();
    for (MemberRecord r : records) {
      byName.put(r.name(), r);
      raw.put(r.name(), r.encode());
    }
    return new MembersCache.Snapshot(byName, raw, view, 3);
  }

  private static List<String> names(List<StaleRecords.Seen> seen) {
    return seen.stream().map(StaleRecords.Seen::name).toList();
  }

  @Test
  void aRecordThatStillDisagreesAfterTheGraceIsAskedAboutThenAgainOnlyAfterThePause() {
    StaleRecords stale = new StaleRecords();
    MembersCache.Snapshot snap = snapshot(Set.of("id-a", "id-b", "id-c"), SELF, record("b", "id-b", "app", "old"),
      record("c", "id-c", "app", "new"));
    assertEquals(List.of(), names(stale.update(snap, SELF, 1_000)), "a rehash may still be under way");
    assertTrue(stale.pending(), "the disagreement is watched");
    assertEquals(List.of(), names(stale.update(snap, SELF, 1_000 + StaleRecords.ASK_AFTER_MS - 1)));
    List<StaleRecords.Seen> asked = stale.update(snap, SELF, 1_000 + StaleRecords.ASK_AFTER_MS);
    assertEquals(List.of("b"), names(asked));
    assertEquals("id-b", asked.get(0).nodeId());
    assertEquals(snap.raw().get("b"), asked.get(0).value(), "the asker sends what its replica shows");
    long askedAt = 1_000 + StaleRecords.ASK_AFTER_MS;
    assertEquals(List.of(), names(stale.update(snap, SELF, askedAt + StaleRecords.ASK_EVERY_MS - 1)));
    assertEquals(List.of("b"), names(stale.update(snap, SELF, askedAt + StaleRecords.ASK_EVERY_MS)));
  }

  @Test
  void aNewValueOfTheRecordStartsTheGraceAgainAndAgreementEndsTheWatch() {
    StaleRecords stale = new StaleRecords();
    Set<String> view = Set.of("id-a", "id-b");
    stale.update(snapshot(view, SELF, record("b", "id-b", "app", "old")), SELF, 0);
    // The node rehashed once more but is still behind: its new value gets a grace of its own.
    assertEquals(List.of(), names(stale.update(snapshot(view, SELF, record("b", "id-b", "app", "older")), SELF,
      StaleRecords.ASK_AFTER_MS)));
    assertEquals(List.of(), names(stale.update(snapshot(view, SELF, record("b", "id-b", "app", "new")), SELF,
      2 * StaleRecords.ASK_AFTER_MS)));
    assertFalse(stale.pending(), "nothing disagrees any more");
  }

  @Test
  void ownRecordOtherAppsAndNodesOutOfTheViewAreNeverAskedAbout() {
    StaleRecords stale = new StaleRecords();
    MembersCache.Snapshot snap = snapshot(Set.of("id-a", "id-x"), record("a", "id-a", "app", "stale-own"),
      record("b", "id-b", "app", "old"), record("x", "id-x", "other", "old"));
    stale.update(snap, SELF, 0);
    assertEquals(List.of(), names(stale.update(snap, SELF, 10 * StaleRecords.ASK_AFTER_MS)));
    assertFalse(stale.pending());
  }
}
