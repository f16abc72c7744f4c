package dev.cloister.impl.ring;

import java.util.Arrays;

/**
 * Builds a ring's sorted points and its bucket index from scratch, in time linear in the number
 * of points.
 *
 * <p>A counting sort on the top {@value #FIRST_DIGIT_BITS} bits scatters the points into place as
 * they are generated (twice: once to count). Each of the ranges it leaves, a few thousand points
 * at most and so in cache, is then sorted by a second counting sort on the rest of the bucket bits
 * and {@value #EXTRA_BITS} bits more, whose counts also give the bucket index, and finished by an
 * insertion sort. The extra bits leave about half a point per digit value, so few points are out of
 * order when the insertion sort starts: sorting whole buckets of two to four points this way
 * mispredicted most of its branches and took half of the build.
 */
final class PointSort {

  /** Top-level radix: small enough to scatter well. */
  private static final int FIRST_DIGIT_BITS = 11;

  /** Bits of the second digit below the bucket bits. */
  private static final int EXTRA_BITS = 3;

  private PointSort() {
  }

  /**
   * Generates and sorts every point of a ring, and fills its bucket index.
   *
   * @param names the sorted member names
   * @param vnodes the points per member
   * @param buckets the bucket index to fill, of {@code 2^bits + 1} entries for the ring's bucket bits
   * @return the sorted points, with one free slot at the end for the sentinel
   */
  static long[] sortedPoints(String[] names, int vnodes, int[] buckets) {
    int n = names.length * vnodes;
    int bits = Integer.numberOfTrailingZeros(buckets.length - 1);
    int firstBits = Math.min(bits, FIRST_DIGIT_BITS);
    int firstShift = 64 - firstBits;
    int[] starts = new int[(1 << firstBits) + 1];
    for (int m = 0; m < names.length; m++) {
      long state = KeyHash.hash(names[m]);
      for (int i = 0; i < vnodes; i++) {
        state += HashRing.GAMMA;
        starts[HashRing.topBits(HashRing.point(state, m), firstShift) + 1]++;
      }
    }
    for (int d = 1; d < starts.length; d++) {
      starts[d] += starts[d - 1];
    }
    long[] pts = new long[n + 1];
    int[] fill = Arrays.copyOf(starts, starts.length - 1);
    for (int m = 0; m < names.length; m++) {
      long state = KeyHash.hash(names[m]);
      for (int i = 0; i < vnodes; i++) {
        state += HashRing.GAMMA;
        long p = HashRing.point(state, m);
        pts[fill[HashRing.topBits(p, firstShift)]++] = p;
      }
    }
    int bucketBits = bits - firstBits;
    int secondShift = 64 - bits - EXTRA_BITS;
    int secondMask = (1 << (bucketBits + EXTRA_BITS)) - 1;
    int[] counts = new int[secondMask + 2];
    long[] scratch = new long[16];
    for (int d = 0; d + 1 < starts.length; d++) {
      int from = starts[d];
      int len = starts[d + 1] - from;
      if (scratch.length < len) {
        scratch = new long[Math.max(len, scratch.length * 2)];
      }
      System.arraycopy(pts, from, scratch, 0, len);
      Arrays.fill(counts, 0);
      for (int j = 0; j < len; j++) {
        counts[(HashRing.topBits(scratch[j], secondShift) & secondMask) + 1]++;
      }
      for (int c = 1; c < counts.length; c++) {
        counts[c] += counts[c - 1];
      }
      // Each bucket starts where its first digit value does.
      int bucket = d << bucketBits;
      for (int b = 0; b < 1 << bucketBits; b++) {
        buckets[bucket + b] = from + counts[b << EXTRA_BITS];
      }
      for (int j = 0; j < len; j++) {
        long p = scratch[j];
        pts[from + counts[HashRing.topBits(p, secondShift) & secondMask]++] = p;
      }
      insertionSort(pts, from, from + len);
    }
    buckets[buckets.length - 1] = n;
    return pts;
  }

  /** Sorts a range that is nearly sorted already. */
  private static void insertionSort(long[] pts, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      long p = pts[i];
      if (pts[i - 1] > p) {
        int j = i - 1;
        do {
          pts[j + 1] = pts[j];
          j--;
        } while (j >= from && pts[j] > p);
        pts[j + 1] = p;
      }
    }
  }
}
