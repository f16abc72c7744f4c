package dev.cloister.impl.workers;

import dev.cloister.impl.workers.LeaseRules.Decision;
import dev.cloister.impl.workers.LeaseRules.Timeouts;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When an owner may take a key's lease. */
class LeaseRulesTest {

  private static final Timeouts T = new Timeouts(3000, 5000, 1000);
  private static final Lease OTHER = new Lease("node1", "id-1", "t-1", false);

  @Test
  void aFreeKeyIsTakenAtOnce() {
    assertTrue(LeaseRules.decide(null, "me", null, false, -1, 100, 100, T).take());
  }

  @Test
  void aLeaseWhoseTokenThisNodeHoldsIsOurs() {
    Decision d = LeaseRules.decide(new Lease("me", "me-id", "tok", false), "me-id", "tok", true, -1, 0, 0, T);
    assertTrue(d.take());
    assertTrue(d.ours());
  }

  @Test
  void aHolderThatLeftTheViewIsFencedFromTheMomentItWasSeenGone() {
    Decision early = LeaseRules.decide(OTHER, "me", null, false, 1000, 2000, 3999, T);
    assertFalse(early.take());
    assertEquals(4000, early.notBefore(), "fence counts from the view change seen, not from the first look");
    assertTrue(LeaseRules.decide(OTHER, "me", null, false, 1000, 2000, 4000, T).take());
  }

  @Test
  void aHolderWatchedSinceBeforeItLeftIsFencedFromItsDeparture() {
    Decision d = LeaseRules.decide(OTHER, "me", null, false, 5000, 1000, 6000, T);
    assertFalse(d.take(), "it may have run the key until it left at 5000");
    assertEquals(8000, d.notBefore());
  }

  @Test
  void aHolderNeverSeenInTheViewIsFencedFromTheFirstLook() {
    Decision d = LeaseRules.decide(OTHER, "me", null, false, -1, 500, 600, T);
    assertFalse(d.take());
    assertEquals(3500, d.notBefore());
  }

  @Test
  void ourOwnLeaseFromBeforeAQuorumLossIsFencedLikeAVanishedHolder() {
    Lease stale = new Lease("me", "me-id", "old-token", false);
    Decision d = LeaseRules.decide(stale, "me-id", null, true, -1, 100, 200, T);
    assertFalse(d.take());
    assertEquals(3100, d.notBefore());
    assertTrue(LeaseRules.decide(stale, "me-id", "new-token", true, -1, 100, 3100, T).take());
  }

  @Test
  void aLiveHolderThatSaysNothingIsWaitedForTheHandoffTimeout() {
    Decision d = LeaseRules.decide(OTHER, "me", null, true, -1, 100, 1099, T);
    assertFalse(d.take());
    assertEquals(1100, d.notBefore());
    assertTrue(LeaseRules.decide(OTHER, "me", null, true, -1, 100, 1100, T).take());
  }

  @Test
  void aLiveHolderHandingOffIsGivenAPerformAndTwoHandoffs() {
    Lease moving = OTHER.handingOff();
    Decision d = LeaseRules.decide(moving, "me", null, true, -1, 0, 6999, T);
    assertFalse(d.take());
    assertEquals(7000, d.notBefore());
    assertTrue(LeaseRules.decide(moving, "me", null, true, -1, 0, 7000, T).take());
  }

  @Test
  void leasesSurviveTheirStoredFormAndRejectGarbage() {
    Lease l = new Lease("n", "id", "tok", true);
    assertEquals(l, Lease.decode(l.encode()));
    assertNull(Lease.decode("not json"));
    assertNull(Lease.decode("{\"node\":1}"));
    assertNull(Lease.decode(42));
  }
}
