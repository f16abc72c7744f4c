package dev.cloister.impl.ring;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * An immutable consistent-hash ring that maps keys to the member names of a group.
 *
 * <p>A ring is a pure function of its sorted set of member names and its number of virtual
 * nodes: every node that sees the same members computes the same owner for every key, whatever
 * order it learnt the members in and whatever happened before.
 *
 * <p>Algorithm ({@code cloister-ring/1}): each member owns {@code vnodes} points on the 64-bit
 * circle. The points of member {@code name} are {@code splitmix64(s + i·γ)} for
 * {@code i = 1..vnodes}, where {@code s = KeyHash.hash(name)}, {@code γ = 0x9E3779B97F4A7C15}
 * and {@code splitmix64} is the finalizer of Steele, Lea and Flood's SplitMix64 generator, so
 * a member's points depend on its name only. A key with hash {@code h} (see {@link KeyHash})
 * belongs to the member of the first point at or after {@code h} in unsigned order, wrapping
 * past the top to the lowest point; when two members have the same point the one whose name
 * sorts first owns it. Because points never depend on the other members, a join only moves keys
 * to the joining member and a leave only moves the leaving member's keys: no key moves between
 * two members that both stayed.
 *
 * <p>Lookup is one key hash plus an O(1) probe: a table over the top bits of the hash (about
 * one bucket per point) gives the first point of the key's bucket, and a short forward scan
 * (one or two points on average) finds the owner. It allocates nothing. Building sorts the
 * points with a counting sort on the same top bits, in time linear in the number of points.
 *
 * <p>The balance of a vnode ring improves as {@code 1/sqrt(vnodes)}: with the default of
 * {@value #DEFAULT_VNODES} points per member the load of a member is within about 2% of the
 * mean (one standard deviation), at a memory cost of about 16 bytes per point (about 32 MB for
 * 1000 members). See {@code docs/ring.md} for the measurements behind the choice.
 */
public final class HashRing {

  /** The number of points per member used when none is given. */
  public static final int DEFAULT_VNODES = 2048;

  /** The largest number of points per member accepted by {@link #of}. */
  public static final int MAX_VNODES = 1 << 16;

  /** The largest number of points (members times vnodes) a ring may hold. */
  static final int MAX_POINTS = 1 << 28;

  static final String ALGORITHM = "cloister-ring/1";

  private static final long GAMMA = 0x9E3779B97F4A7C15L;

  private final String[] names;
  private final List<String> members;
  private final int vnodes;
  /** Sorted points with the sign bit flipped, so that signed order is unsigned order; a sentinel ends it. */
  private final long[] points;
  /** The index in {@link #names} of the owner of each point. */
  private final int[] owners;
  /** For each bucket of the top bits of a hash, the index of its first point. */
  private final int[] buckets;
  private final int shift;
  private final long checksum;

  private HashRing(String[] names, int vnodes) {
    this.names = names;
    this.members = Collections.unmodifiableList(Arrays.asList(names.clone()));
    this.vnodes = vnodes;
    this.checksum = checksum(names, vnodes);
    int n = names.length * vnodes;
    if (n == 0) {
      points = null;
      owners = null;
      buckets = null;
      shift = 63;
      return;
    }
    int bits = Math.min(26, Math.max(1, 64 - Long.numberOfLeadingZeros(n - 1L)));
    shift = 64 - bits;
    int[] start = new int[(1 << bits) + 1];
    // Pass 1 counts the points of each bucket; pass 2 regenerates them into place.
    for (int m = 0; m < names.length; m++) {
      long state = KeyHash.hash(names[m]);
      for (int i = 0; i < vnodes; i++) {
        state += GAMMA;
        start[(int) (mix(state) >>> shift) + 1]++;
      }
    }
    for (int b = 1; b < start.length; b++) {
      start[b] += start[b - 1];
    }
    int[] fill = Arrays.copyOf(start, start.length - 1);
    long[] pts = new long[n + 1];
    int[] own = new int[n + 1];
    for (int m = 0; m < names.length; m++) {
      long state = KeyHash.hash(names[m]);
      for (int i = 0; i < vnodes; i++) {
        state += GAMMA;
        long p = mix(state);
        int at = fill[(int) (p >>> shift)]++;
        pts[at] = p ^ Long.MIN_VALUE;
        own[at] = m;
      }
    }
    for (int b = 0; b + 1 < start.length; b++) {
      sortBucket(pts, own, start[b], start[b + 1]);
    }
    pts[n] = Long.MAX_VALUE;
    own[n] = own[0];
    points = pts;
    owners = own;
    buckets = start;
  }

  /**
   * Builds the ring of a set of members.
   *
   * @param members the member names; order and duplicates do not matter
   * @param vnodes the number of points per member, from 1 to {@link #MAX_VNODES}
   * @return the ring
   * @throws IllegalArgumentException if a name is null, vnodes is out of range, or the ring
   *     would hold more than 2^28 points
   */
  public static HashRing of(Collection<String> members, int vnodes) {
    Objects.requireNonNull(members, "members");
    if (vnodes < 1 || vnodes > MAX_VNODES) {
      throw new IllegalArgumentException("vnodes must be between 1 and " + MAX_VNODES + ", got " + vnodes);
    }
    TreeSet<String> sorted = new TreeSet<>();
    for (String name : members) {
      if (name == null) {
        throw new IllegalArgumentException("member name must not be null");
      }
      sorted.add(name);
    }
    if ((long) sorted.size() * vnodes > MAX_POINTS) {
      throw new IllegalArgumentException("a ring of " + sorted.size() + " members with " + vnodes
        + " vnodes would exceed " + MAX_POINTS + " points");
    }
    return new HashRing(sorted.toArray(new String[0]), vnodes);
  }

  /**
   * Builds the ring of a set of members with {@link #DEFAULT_VNODES} points per member.
   *
   * @param members the member names; order and duplicates do not matter
   * @return the ring
   */
  public static HashRing of(Collection<String> members) {
    return of(members, DEFAULT_VNODES);
  }

  /**
   * Returns the member that owns a key hash.
   *
   * @param keyHash a hash from {@link KeyHash#hash}
   * @return the owner's name
   * @throws IllegalStateException if the ring is empty
   */
  public String owner(long keyHash) {
    long[] pts = points;
    if (pts == null) {
      throw new IllegalStateException("ring is empty");
    }
    long k = keyHash ^ Long.MIN_VALUE;
    int i = buckets[(int) (keyHash >>> shift)];
    while (pts[i] < k) {
      i++;
    }
    return names[owners[i]];
  }

  /**
   * Returns the member that owns a key.
   *
   * @param key a key of a type supported by {@link KeyHash}
   * @return the owner's name
   * @throws IllegalArgumentException if the key is null or of an unsupported type
   * @throws IllegalStateException if the ring is empty
   */
  public String owner(Object key) {
    return owner(KeyHash.hash(key));
  }

  /**
   * Returns the members in sorted order.
   *
   * @return an unmodifiable list of member names
   */
  public List<String> members() {
    return members;
  }

  /**
   * Returns the number of members.
   *
   * @return the number of members
   */
  public int size() {
    return names.length;
  }

  /**
   * Tells whether the ring has no member.
   *
   * @return true if the ring has no member
   */
  public boolean isEmpty() {
    return names.length == 0;
  }

  /**
   * Returns the number of points per member.
   *
   * @return the vnodes the ring was built with
   */
  public int vnodes() {
    return vnodes;
  }

  /**
   * Returns a checksum of the ring, equal on every node that built the same ring.
   *
   * <p>It is the {@link KeyHash} of the string {@code "cloister-ring/1;" + vnodes} followed, for
   * each member in sorted order, by {@code ";" + name.length() + ":" + name}, so it covers the
   * algorithm, the vnodes and the members.
   *
   * @return the checksum
   */
  public long checksum() {
    return checksum;
  }

  /** Two rings are equal if they have the same members and vnodes, so they own keys alike. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof HashRing)) {
      return false;
    }
    HashRing other = (HashRing) o;
    return vnodes == other.vnodes && Arrays.equals(names, other.names);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(checksum);
  }

  @Override
  public String toString() {
    return "HashRing{vnodes=" + vnodes + ", members=" + members + ", checksum="
      + Long.toHexString(checksum) + "}";
  }

  /** The SplitMix64 finalizer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long checksum(String[] names, int vnodes) {
    StringBuilder text = new StringBuilder(ALGORITHM).append(';').append(vnodes);
    for (String name : names) {
      text.append(';').append(name.length()).append(':').append(name);
    }
    return KeyHash.hash(text.toString());
  }

  /** Insertion sort of one bucket by point, then owner (names sort like their indices). */
  private static void sortBucket(long[] pts, int[] own, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      long p = pts[i];
      int o = own[i];
      int j = i - 1;
      while (j >= from && (pts[j] > p || (pts[j] == p && own[j] > o))) {
        pts[j + 1] = pts[j];
        own[j + 1] = own[j];
        j--;
      }
      pts[j + 1] = p;
      own[j + 1] = o;
    }
  }
}
