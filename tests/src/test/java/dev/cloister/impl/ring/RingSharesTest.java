package dev.cloister.impl.ring;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A ring's shares are exact: they sum to one and agree with where keys actually land. */
class RingSharesTest {

  @Test
  void sharesSumToOneAndMatchTheKeysEachMemberOwns() {
    HashRing ring = HashRing.of(List.of("a", "b", "c", "d", "e"), 64);
    double[] shares = ring.shares();
    assertEquals(5, shares.length);
    double sum = 0;
    for (double s : shares) {
      sum += s;
    }
    assertEquals(1.0, sum, 1e-12);

    int keys = 200_000;
    int[] owned = new int[5];
    for (int i = 0; i < keys; i++) {
      owned[ring.members().indexOf(ring.owner(KeyHash.hash("key-" + i)))]++;
    }
    for (int m = 0; m < 5; m++) {
      // 200k keys: the observed fraction is within a few standard deviations (about 0.001) of the share.
      assertEquals(shares[m], (double) owned[m] / keys, 0.006, "member " + ring.members().get(m));
    }
  }

  @Test
  void oneMemberOwnsEverythingAndAnEmptyRingHasNoShare() {
    assertEquals(1.0, HashRing.of(List.of("solo"), 16).shares()[0], 1e-12);
    assertEquals(0, HashRing.of(List.of(), 16).shares().length);
    double[] two = HashRing.of(List.of("x", "y")).shares();
    assertTrue(Math.abs(two[0] - 0.5) < 0.03, "4096 points each: close to half: " + two[0]);
  }
}
