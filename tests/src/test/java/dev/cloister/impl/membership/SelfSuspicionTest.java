package dev.cloister.impl.membership;

import dev.cloister.impl.transport.Standstills;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules by which a node back from a standstill suspects itself, case by case. */
class SelfSuspicionTest {

  private static final long HOLD = 3_000_000_000L;

  @Test
  void noStandstillNoSuspicion() {
    assertFalse(SelfSuspicion.suspect(Long.MIN_VALUE, Long.MIN_VALUE));
    assertFalse(SelfSuspicion.suspect(Long.MIN_VALUE, 42));
  }

  @Test
  void aStandstillNotYetClearedIsSuspectedWhateverTheSignOfTheClock() {
    // System.nanoTime() may be negative: the rule must not depend on its origin.
    assertTrue(SelfSuspicion.suspect(-5_000, Long.MIN_VALUE));
    assertTrue(SelfSuspicion.suspect(5_000, Long.MIN_VALUE));
    assertTrue(SelfSuspicion.suspect(5_000, 4_999));
    assertTrue(SelfSuspicion.suspect(Long.MIN_VALUE + 10, Long.MIN_VALUE + 5));
  }

  @Test
  void aClearedStandstillIsNoLongerSuspectedButALaterOneIs() {
    assertFalse(SelfSuspicion.suspect(5_000, 5_000));
    assertFalse(SelfSuspicion.suspect(4_000, 5_000));
    assertTrue(SelfSuspicion.suspect(6_000, 5_000));
  }

  @Test
  void evidenceCountsOnlyWhenGatheredAfterTheHold() {
    long end = 1_000;
    assertFalse(SelfSuspicion.evidenceCounts(end, end, HOLD));
    assertFalse(SelfSuspicion.evidenceCounts(end, end + HOLD - 1, HOLD));
    assertTrue(SelfSuspicion.evidenceCounts(end, end + HOLD, HOLD));
    assertTrue(SelfSuspicion.evidenceCounts(-end - HOLD, -end, HOLD));
  }

  @Test
  void thresholdsFollowTheFailureDetectionBound() {
    SelfSuspicion s = new SelfSuspicion(Standstills.jvm(), 2_500);
    // Half the bound: the others need about their suspect timeout, most of the bound, to evict.
    assertEquals(1_250, s.minStallMs());
  }

  @Test
  void clearingNeedsEvidenceAfterTheHoldAndThenHoldsForThatStandstill() {
    SelfSuspicion s = new SelfSuspicion(Standstills.jvm(), 2_000);
    long end = System.nanoTime();
    assertFalse(s.clear(end, end + 1));
    assertTrue(s.clear(end, end + 3_000_000_000L));
  }
}
