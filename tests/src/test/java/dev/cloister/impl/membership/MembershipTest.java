package dev.cloister.impl.membership;

import dev.cloister.CloisterStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MembershipTest {

  private static MemberRecord record(String name, String group, String nodeId, long startedAt) {
    return new MemberRecord(name, "shop", group, "127.0.0.1", 7800, nodeId, startedAt, CloisterStatus.READY, null);
  }

  @Test
  void onlyRecordsOfTheAppWhoseNodeIsInTheViewAreLive() {
    List<MemberRecord> records = List.of(
      record("a", "g", "id-a", 10),
      record("b", "g", "id-b", 20),
      record("ghost", "g", "id-gone", 5),
      new MemberRecord("other", "billing", "g", "127.0.0.1", 7801, "id-o", 1, CloisterStatus.READY, null));
    Membership m = Membership.of("shop", records, Set.of("id-a", "id-b", "id-o"));
    assertEquals(List.of("a", "b"), m.live().stream().map(MemberRecord::name).toList());
    assertEquals("a", m.sentry());
  }

  @Test
  void theSentryIsTheOldestThenTheSmallestNameWhateverTheOrder() {
    List<MemberRecord> records = new ArrayList<>(List.of(
      record("c", "g", "3", 100), record("b", "g", "2", 100), record("a", "g", "1", 300)));
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      Collections.shuffle(records, random);
      Membership m = Membership.of("shop", records, Set.of("1", "2", "3"));
      assertEquals("b", m.sentry());
      assertEquals(Map.of("g", List.of("a", "b", "c")), m.groups());
    }
    assertNull(Membership.of("shop", records, Set.of()).sentry());
  }

  @Test
  void aRehashIsNeededOnlyWhenMembersOrGroupsChange() {
    Membership one = Membership.of("shop", List.of(record("a", "g", "1", 1), record("b", "h", "2", 2)), Set.of("1", "2"));
    Membership same = Membership.of("shop", List.of(
      record("b", "h", "2", 2).report(CloisterStatus.REHASHING, "x"), record("a", "g", "1", 1)), Set.of("1", "2"));
    Membership moved = Membership.of("shop", List.of(record("a", "g", "1", 1), record("b", "g", "2", 2)), Set.of("1", "2"));
    assertTrue(one.sameTopology(same));
    assertFalse(one.sameTopology(moved));
    assertEquals(List.of("a"), one.group("g"));
    assertEquals(List.of(), one.group("nope"));
  }

  @Test
  void convergedWhenEveryLiveMemberReportsTheChecksum() {
    MemberRecord a = record("a", "g", "1", 1).report(CloisterStatus.READY, "c1");
    MemberRecord b = record("b", "g", "2", 2).report(CloisterStatus.READY, "c1");
    assertTrue(Membership.of("shop", List.of(a, b), Set.of("1", "2")).convergedOn("c1"));
    assertFalse(Membership.of("shop", List.of(a, b.report(CloisterStatus.READY, "c0")), Set.of("1", "2")).convergedOn("c1"));
  }

  @Test
  void recordsRoundTripAndMalformedOnesAreRejectedWithAReason() {
    MemberRecord r = record("a", "g", "1", 1).report(CloisterStatus.READY, "abc");
    assertEquals(r, MemberRecord.decode("a", r.encode()));
    assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("b", r.encode()));
    assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("a", "{not json"));
    assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("a", "{\"name\":\"a\"}"));
    assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("a", 42));
    assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("a", "x".repeat(MemberRecord.MAX_LENGTH + 1)));
    String badStatus = r.encode().replace("READY", "DANCING");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemberRecord.decode("a", badStatus));
    assertTrue(e.getMessage().length() > 0);
  }
}
