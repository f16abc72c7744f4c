package dev.cloister.impl.ring;

import java.util.Arrays;

/**
 * Derives a ring's sorted points and bucket index from those of a ring whose members differ by a
 * few names, in one pass over the points instead of a full build.
 *
 * <p>A member's points depend on its name only, and its owner index is its rank among the sorted
 * names; so the new ring holds the old ring's points, less the leavers', plus the joiners', with
 * the owner index of each point that stays renumbered to its member's new rank. The joiners' points
 * are generated and sorted, the leavers' regenerated and looked up through the old bucket index,
 * and one pass copies the points in between, renumbering them. The bucket index, when its size
 * stays, is the old one shifted by the points added and removed before each bucket.
 */
final class PointMerge {

  private final String[] from;
  private final String[] to;
  /** The new owner index of each old member, or -1 for a leaver. */
  private final int[] renumber;
  /** The indices of the joiners among the new names. */
  private final int[] joiners;
  private final int leavers;
  /** Whether some member that stays changes index, so copied points must be rewritten. */
  private final boolean renumbers;

  private PointMerge(String[] from, String[] to) {
    this.from = from;
    this.to = to;
    this.renumber = new int[from.length];
    int[] joined = new int[to.length];
    int joinedCount = 0;
    int i = 0;
    int j = 0;
    int left = 0;
    boolean moved = false;
    while (i < from.length || j < to.length) {
      int c = i == from.length ? 1 : j == to.length ? -1 : from[i].compareTo(to[j]);
      if (c < 0) {
        renumber[i++] = -1;
        left++;
      } else if (c > 0) {
        joined[joinedCount++] = j++;
      } else {
        moved |= i != j;
        renumber[i++] = j++;
      }
    }
    this.joiners = Arrays.copyOf(joined, joinedCount);
    this.leavers = left;
    this.renumbers = moved;
  }

  /**
   * Compares two sorted sets of member names.
   *
   * @param from the old ring's sorted names
   * @param to the new ring's sorted names
   * @return the merge from one to the other
   */
  static PointMerge between(String[] from, String[] to) {
    return new PointMerge(from, to);
  }

  /**
   * Whether merging costs less than a full build. A build takes about 10 ns per point; the merge
   * about 1.5 ns per point for its copy plus about 130 ns per point of a joiner or leaver
   * (generated, sorted and placed), so it wins while they are fewer than about a fourteenth of the
   * members: it is used up to a sixteenth.
   *
   * @return true if {@link #points} should be used
   */
  boolean cheaperThanBuild() {
    return from.length > 0 && to.length > 0 && 16L * (joiners.length + leavers) <= Math.max(from.length, to.length);
  }

  /**
   * The new ring's sorted points, with its bucket index filled.
   *
   * @param points the old ring's sorted points and sentinel
   * @param buckets the old ring's bucket index
   * @param vnodes the points per member of both rings
   * @param into the new ring's bucket index to fill, of {@code 2^bits + 1} entries for its bucket bits
   * @return the sorted points, with one free slot at the end for the sentinel
   */
  long[] points(long[] points, int[] buckets, int vnodes, int[] into) {
    long[] added = new long[joiners.length * vnodes];
    for (int k = 0; k < joiners.length; k++) {
      HashRing.memberPoints(to[joiners[k]], joiners[k], vnodes, added, k * vnodes);
    }
    long[] removed = new long[leavers * vnodes];
    for (int i = 0, r = 0; i < from.length; i++) {
      if (renumber[i] < 0) {
        HashRing.memberPoints(from[i], i, vnodes, removed, r);
        r += vnodes;
      }
    }
    Arrays.sort(added);
    Arrays.sort(removed);
    long[] merged = merge(points, buckets, added, removed);
    if (into.length == buckets.length) {
      shiftBuckets(buckets, added, removed, into);
    } else {
      bucketStarts(merged, into);
    }
    return merged;
  }

  /** Copies the old points that stay into place between the added ones. */
  private long[] merge(long[] points, int[] buckets, long[] added, long[] removed) {
    int n = points.length - 1;
    int shift = HashRing.bucketShift(buckets);
    long[] out = new long[n + added.length - removed.length + 1];
    int i = 0;
    int o = 0;
    int a = 0;
    int r = 0;
    while (a < added.length || r < removed.length) {
      int removeAt = r < removed.length ? indexOf(points, buckets, shift, i, removed[r]) : n;
      int addAt = a < added.length ? insertionPoint(points, buckets, shift, i, added[a]) : n;
      int stop = Math.min(removeAt, addAt);
      copy(points, i, out, o, stop - i);
      o += stop - i;
      i = stop;
      // An added point never goes where a removed one is: insertionPoint skips the removed.
      if (r == removed.length || addAt < removeAt) {
        out[o++] = added[a++];
      } else {
        i++;
        r++;
      }
    }
    copy(points, i, out, o, n - i);
    return out;
  }

  /** The index of a point of the old ring, at or after {@code i}. */
  private static int indexOf(long[] points, int[] buckets, int shift, int i, long point) {
    int x = Math.max(i, buckets[HashRing.topBits(point, shift)]);
    while (points[x] != point) {
      x++;
    }
    return x;
  }

  /**
   * Where an added point goes among the old points, at or after {@code i}: before the first point
   * that stays and, renumbered, sorts after it. The old bucket index finds the point's bucket.
   */
  private int insertionPoint(long[] points, int[] buckets, int shift, int i, long point) {
    int n = points.length - 1;
    int x = Math.max(i, buckets[HashRing.topBits(point, shift)]);
    while (x < n) {
      long p = points[x];
      int owner = renumber[(int) (p & HashRing.OWNER_MASK)];
      if (owner >= 0 && ((p & ~HashRing.OWNER_MASK) | owner) > point) {
        break;
      }
      x++;
    }
    return x;
  }

  /** Copies old points that stay, renumbering their owners. */
  private void copy(long[] points, int from, long[] out, int into, int len) {
    if (!renumbers) {
      System.arraycopy(points, from, out, into, len);
      return;
    }
    for (int k = 0; k < len; k++) {
      long p = points[from + k];
      out[into + k] = (p & ~HashRing.OWNER_MASK) | renumber[(int) (p & HashRing.OWNER_MASK)];
    }
  }

  /**
   * The new bucket index when its size stays: a bucket starts later by the points added in the
   * buckets before it and earlier by those removed there.
   */
  private static void shiftBuckets(int[] buckets, long[] added, long[] removed, int[] into) {
    int shift = HashRing.bucketShift(buckets);
    int b = 0;
    int delta = 0;
    int a = 0;
    int r = 0;
    while (a < added.length || r < removed.length) {
      boolean add = r == removed.length || (a < added.length && added[a] < removed[r]);
      long point = add ? added[a++] : removed[r++];
      int after = HashRing.topBits(point, shift) + 1;
      for (; b < after; b++) {
        into[b] = buckets[b] + delta;
      }
      delta += add ? 1 : -1;
    }
    for (; b < into.length; b++) {
      into[b] = buckets[b] + delta;
    }
  }

  /** The bucket index of sorted points, by a scan: when the number of bucket bits changed. */
  private static void bucketStarts(long[] points, int[] into) {
    int n = points.length - 1;
    int shift = HashRing.bucketShift(into);
    int b = 0;
    for (int i = 0; i < n; i++) {
      int bucket = HashRing.topBits(points[i], shift);
      while (b <= bucket) {
        into[b++] = i;
      }
    }
    while (b < into.length) {
      into[b++] = n;
    }
  }
}
