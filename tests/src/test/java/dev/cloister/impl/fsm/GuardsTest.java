package dev.cloister.impl.fsm;

import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.Membership;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static dev.cloister.CloisterStatus.ASSEMBLING;
import static dev.cloister.CloisterStatus.DOWN;
import static dev.cloister.CloisterStatus.NONODE;
import static dev.cloister.CloisterStatus.READY;
import static dev.cloister.CloisterStatus.REHASHING;
import static dev.cloister.CloisterStatus.STOPPED;
import static dev.cloister.CloisterStatus.STOPPING;
import static dev.cloister.impl.fsm.Trigger.QUORUM;
import static dev.cloister.impl.fsm.Trigger.REHASH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guards of the state machine, case by case, the way the table is tested. */
class GuardsTest {

  private static Membership members(String... names) {
    List<MemberRecord> records = new ArrayList<>();
    for (String n : names) {
      String[] parts = n.split("/");
      String group = parts.length > 1 ? parts[1] : "app";
      records.add(new MemberRecord(parts[0], "app", group, "127.0.0.1", 7800, "id-" + parts[0], 1, READY, null));
    }
    return Membership.of("app", records, records.stream().map(MemberRecord::nodeId).collect(Collectors.toSet()));
  }

  private static final Membership ONE = members("a");
  private static final Membership TWO = members("a", "b");
  private static final Membership THREE = members("a", "b", "c");

  @Test
  void aJoinInReadyWithAQuorumRehashesAndReturnsToReady() {
    assertEquals(List.of(REHASH, QUORUM), Guards.triggers(READY, TWO, THREE, 2));
  }

  @Test
  void aLeaveInReadyBelowConsensusRehashesOnceAndStays() {
    assertEquals(List.of(REHASH), Guards.triggers(READY, TWO, ONE, 2));
  }

  @Test
  void noTopologyChangeInReadyMovesNothing() {
    assertEquals(List.of(), Guards.triggers(READY, THREE, members("a", "b", "c"), 2));
  }

  /** The same three members, of which only {@code counted} count: the others were not heard from lately. */
  private static Membership heard(int counted) {
    return new Membership("app", THREE.live(), counted);
  }

  @Test
  void losingFreshEvidenceOfMembersBelowConsensusLeavesReadyWithoutATopologyChange() {
    assertEquals(List.of(REHASH), Guards.triggers(READY, THREE, heard(1), 2));
    assertEquals(List.of(REHASH), Guards.triggers(READY, THREE, THREE, 5), "a READY node below consensus leaves READY");
  }

  @Test
  void losingFreshEvidenceAboveConsensusChangesNothing() {
    assertEquals(List.of(), Guards.triggers(READY, THREE, heard(2), 2));
  }

  @Test
  void freshEvidenceBackInRehashingRestoresTheQuorum() {
    assertEquals(List.of(), Guards.triggers(REHASHING, heard(1), heard(1), 2));
    assertEquals(List.of(QUORUM), Guards.triggers(REHASHING, heard(1), heard(2), 2));
  }

  @Test
  void rehashingWithAQuorumGoesReady() {
    assertEquals(List.of(QUORUM), Guards.triggers(REHASHING, THREE, THREE, 2));
    assertEquals(List.of(QUORUM), Guards.triggers(REHASHING, TWO, THREE, 2), "a change that reaches consensus");
    assertEquals(List.of(QUORUM), Guards.triggers(REHASHING, null, TWO, 2), "the first membership of an assembled node");
  }

  @Test
  void aChangeWhileRehashingBelowConsensusRehashesAgain() {
    assertEquals(List.of(REHASH), Guards.triggers(REHASHING, ONE, TWO, 3));
    assertEquals(List.of(REHASH), Guards.triggers(REHASHING, TWO, ONE, 3));
  }

  @Test
  void noChangeWhileRehashingBelowConsensusMovesNothing() {
    assertEquals(List.of(), Guards.triggers(REHASHING, TWO, TWO, 3));
  }

  @Test
  void aGroupMoveIsATopologyChange() {
    Membership moved = members("a", "b/other");
    assertTrue(Guards.topologyChanged(TWO, moved));
    assertEquals(List.of(REHASH, QUORUM), Guards.triggers(READY, TWO, moved, 2));
  }

  @Test
  void aStatusOrChecksumReportIsNotATopologyChange() {
    List<MemberRecord> reported = new ArrayList<>();
    for (MemberRecord r : TWO.live()) {
      reported.add(r.report(REHASHING, "0123456789abcdef"));
    }
    Membership same = new Membership("app", reported);
    assertFalse(Guards.topologyChanged(TWO, same));
    assertEquals(List.of(), Guards.triggers(READY, TWO, same, 2));
  }

  @Test
  void theFirstMembershipCountsAsAChange() {
    assertTrue(Guards.topologyChanged(null, TWO));
  }

  @Test
  void statesOutsideTheMembershipLoopNeverMove() {
    for (CloisterStatus s : List.of(DOWN, ASSEMBLING, NONODE, STOPPING, STOPPED)) {
      assertEquals(List.of(), Guards.triggers(s, TWO, THREE, 2), s.name());
      assertEquals(List.of(), Guards.triggers(s, TWO, TWO, 1), s.name());
    }
  }

  @Test
  void everyTriggerTheGuardsGiveIsAllowedByTheTable() {
    List<Membership> memberships = List.of(ONE, TWO, THREE, members("a", "b/other"));
    for (CloisterStatus s : CloisterStatus.values()) {
      for (Membership old : memberships) {
        for (Membership next : memberships) {
          for (int consensus = 1; consensus <= 4; consensus++) {
            CloisterStatus at = s;
            for (Trigger t : Guards.triggers(s, old, next, consensus)) {
              at = Transitions.next(at, t).orElseThrow(() -> new AssertionError(s + " " + old + " " + next));
            }
          }
        }
      }
    }
  }
}
