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
  private static final Lease OTHER = new Lease("id-1", "t-1", false);

  @Test
  void aFreeKeyIsTakenAtOnce() {
    assertTrue(LeaseRules.decide(null, "me", null, false, false, -1, -1, 100, 100, T).take());
  }

  @Test
  void aLeaseWhoseTokenThisNodeHoldsIsOurs() {
    Decision d = LeaseRules.decide(new Lease("me-id", "tok", false), "me-id", "tok", true, false, -1, -1, 0, 0, T);
    assertTrue(d.take());
    assertTrue(d.ours());
  }

  @Test
  void aHolderThatLeftTheViewIsFencedFromTheMomentItWasSeenGone() {
    Decision early = LeaseRules.decide(OTHER, "me", null, false, false, 1000, -1, 2000, 3999, T);
    assertFalse(early.take());
    assertEquals(4000, early.notBefore(), "fence counts from the view change seen, not from the first look");
    assertTrue(LeaseRules.decide(OTHER, "me", null, false, false, 1000, -1, 2000, 4000, T).take());
  }

  @Test
  void aHolderWatchedSinceBeforeItLeftIsFencedFromItsDeparture() {
    Decision d = LeaseRules.decide(OTHER, "me", null, false, false, 5000, -1, 1000, 6000, T);
    assertFalse(d.take(), "it may have run the key until it left at 5000");
    assertEquals(8000, d.notBefore());
  }

  @Test
  void aHolderNeverSeenInTheViewIsFencedFromTheFirstLook() {
    Decision d = LeaseRules.decide(OTHER, "me", null, false, false, -1, -1, 500, 600, T);
    assertFalse(d.take());
    assertEquals(3500, d.notBefore());
  }

  @Test
  void ourOwnLeaseFromBeforeAQuorumLossIsFencedLikeAVanishedHolder() {
    Lease stale = new Lease("me-id", "old-token", false);
    Decision d = LeaseRules.decide(stale, "me-id", null, true, false, -1, -1, 100, 200, T);
    assertFalse(d.take());
    assertEquals(3100, d.notBefore());
    assertTrue(LeaseRules.decide(stale, "me-id", "new-token", true, false, -1, -1, 100, 3100, T).take());
  }

  @Test
  void aLiveHolderThatSaysNothingIsWaitedForTheHandoffTimeout() {
    Decision d = LeaseRules.decide(OTHER, "me", null, true, false, -1, -1, 100, 1099, T);
    assertFalse(d.take());
    assertEquals(1100, d.notBefore());
    assertTrue(LeaseRules.decide(OTHER, "me", null, true, false, -1, -1, 100, 1100, T).take());
  }

  @Test
  void aLiveHolderAtWorkOnItsOtherLeasesIsWaitedFor() {
    // Seen at 100 with the lease as it is; the holder released another key at 900, so it is busy
    // handing off, not silent: the wait counts from 900.
    Decision d = LeaseRules.decide(OTHER, "me", null, true, false, -1, 900, 100, 1100, T);
    assertFalse(d.take());
    assertEquals(1900, d.notBefore());
    assertTrue(LeaseRules.decide(OTHER, "me", null, true, false, -1, 900, 100, 1900, T).take());
    Decision moving = LeaseRules.decide(OTHER.handingOff(), "me", null, true, false, -1, 900, 0, 7000, T);
    assertEquals(7900, moving.notBefore());
  }

  @Test
  void aLeaseOfASetThatClosedWithItsTokenIsTakenAtOnce() {
    // Live, not handing off, just written: a live holder would be waited for.
    assertFalse(LeaseRules.decide(OTHER, "me", null, true, false, -1, 100, 100, 100, T).take());
    assertTrue(LeaseRules.decide(OTHER, "me", null, true, true, -1, 100, 100, 100, T).take());
    assertTrue(LeaseRules.decide(OTHER.handingOff(), "me", null, true, true, -1, 100, 100, 100, T).take());
    // Gone from the view as well: no fence, it ran nothing with the token after its close.
    assertTrue(LeaseRules.decide(OTHER, "me", null, false, true, 90, -1, 100, 100, T).take());
  }

  @Test
  void aHolderThatLeftIsFencedWhateverItWroteBefore() {
    Decision d = LeaseRules.decide(OTHER, "me", null, false, false, 1000, 999, 500, 4000, T);
    assertTrue(d.take(), "the fence counts from its departure only");
  }

  @Test
  void aLiveHolderHandingOffIsGivenAPerformAndTwoHandoffs() {
    Lease moving = OTHER.handingOff();
    Decision d = LeaseRules.decide(moving, "me", null, true, false, -1, -1, 0, 6999, T);
    assertFalse(d.take());
    assertEquals(7000, d.notBefore());
    assertTrue(LeaseRules.decide(moving, "me", null, true, false, -1, -1, 0, 7000, T).take());
  }

  @Test
  void leasesSurviveTheirStoredFormAndRejectGarbage() {
    Lease l = new Lease("node0-4711", "tok", true);
    assertEquals("m:tok:node0-4711", l.encode());
    assertEquals(l, Lease.decode(l.encode()));
    Lease odd = new Lease("a:b:c", "t", false);
    assertEquals(odd, Lease.decode(odd.encode()), "a node id may hold the separator");
    assertNull(Lease.decode("not a lease"));
    assertNull(Lease.decode("x:tok:id"));
    assertNull(Lease.decode("h::id"));
    assertNull(Lease.decode("h:tok:"));
    assertNull(Lease.decode("h:tok"));
    assertNull(Lease.decode("{\"node\":\"n\",\"id\":\"i\",\"token\":\"t\",\"moving\":false}"));
    assertNull(Lease.decode("h:t:" + "i".repeat(5000)));
    assertNull(Lease.decode(42));
  }

  @Test
  void everyFreshTokenIsNew() {
    java.util.Set<String> tokens = new java.util.HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String t = Lease.freshToken();
      assertTrue(t.indexOf(':') < 0, "no separator in a token: " + t);
      assertTrue(tokens.add(t), "repeated: " + t);
    }
  }
}
