package dev.cloister.impl.ring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A ring's points and bucket index are exactly those of the documented algorithm, computed the
 * slow way: every point generated, the whole array sorted, each bucket's first point searched.
 */
class RingLayoutTest {

  /** The sorted points of {@code cloister-ring/1} and the sentinel, by brute force. */
  static long[] expectedPoints(List<String> members, int vnodes) {
    String[] names = new TreeSet<>(members).toArray(new String[0]);
    int n = names.length * vnodes;
    long[] points = new long[n + 1];
    for (int m = 0; m < names.length; m++) {
      long s = KeyHash.hash(names[m]);
      for (int i = 1; i <= vnodes; i++) {
        long position = HashRing.mix(s + i * 0x9E3779B97F4A7C15L) >>> 16;
        // Packed as the ring packs it: position, then owner index; the sign flipped for unsigned order.
        points[(m * vnodes) + i - 1] = ((position << 16) | m) ^ Long.MIN_VALUE;
      }
    }
    Arrays.sort(points, 0, n);
    points[n] = (Long.MAX_VALUE & ~0xFFFFL) | (points[0] & 0xFFFF);
    return points;
  }

  /** For each bucket of the top {@code bits} bits, the index of its first point or of the next one. */
  static int[] expectedBuckets(long[] points, int bits) {
    int n = points.length - 1;
    int[] buckets = new int[(1 << bits) + 1];
    int i = 0;
    for (int b = 0; b < buckets.length; b++) {
      while (i < n && ((points[i] ^ Long.MIN_VALUE) >>> (64 - bits)) < b) {
        i++;
      }
      buckets[b] = i;
    }
    return buckets;
  }

  /** Asserts that a ring's arrays are the brute-force ones. */
  static void assertLayout(List<String> members, int vnodes, HashRing ring) {
    long[] points = expectedPoints(members, vnodes);
    assertArrayEquals(points, ring.points(), () -> members.size() + " members, " + vnodes + " vnodes");
    int bits = HashRing.bucketBits(points.length - 1);
    assertArrayEquals(expectedBuckets(points, bits), ring.buckets(), () -> members.size() + " members, "
      + vnodes + " vnodes");
  }

  static List<String> randomNames(Random random, int count) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      names.add("node-" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
    }
    return names;
  }

  @Test
  void randomRingsHoldTheDocumentedPointsAndBuckets() {
    Random random = new Random(11);
    for (int round = 0; round < 60; round++) {
      int vnodes = new int[] {1, 2, 3, 7, 64, 100, 255, 256, 1000, 4096}[random.nextInt(10)];
      int size = 1 + random.nextInt(round < 50 ? 40 : 300);
      List<String> members = randomNames(random, size);
      assertLayout(members, vnodes, HashRing.of(members, vnodes));
    }
  }

  @Test
  void ringsOnEitherSideOfABucketSizeHoldTheDocumentedPoints() {
    // The number of bucket bits grows by one from 2^k points to 2^k + 1.
    int[][] sizes = {{1, 1}, {2, 1}, {1, 3}, {4, 1}, {5, 1}, {512, 2}, {1025, 1}, {16, 4096}, {16, 4097}, {3, 1 << 16}};
    for (int[] size : sizes) {
      List<String> members = new ArrayList<>();
      for (int i = 0; i < size[0]; i++) {
        members.add("m" + i);
      }
      assertLayout(members, size[1], HashRing.of(members, size[1]));
    }
  }

  @Test
  void aThousandMembersAtTheDefaultVnodesHoldTheDocumentedPoints() {
    List<String> members = RingMembers.named(1000);
    HashRing ring = HashRing.of(members);
    assertLayout(members, HashRing.DEFAULT_VNODES, ring);
    assertEquals(1000 * HashRing.DEFAULT_VNODES + 1, ring.points().length);
  }
}
