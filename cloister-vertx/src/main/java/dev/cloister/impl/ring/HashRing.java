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
 * <p>Algorithm ({@code cloister-ring/1}): each member owns {@code vnodes} points on a circle of
 * 2^48 positions. Point {@code i} (for {@code i = 1..vnodes}) of member {@code name} is the top
 * 48 bits of {@code splitmix64(s + i·γ)}, where {@code s = KeyHash.hash(name)},
 * {@code γ = 0x9E3779B97F4A7C15}, arithmetic is modulo 2^64 and {@code splitmix64} is the
 * finalizer of Steele, Lea and Flood's SplitMix64 generator; so a member's points depend on its
 * name only. A key whose {@link KeyHash} is {@code h} sits at position {@code h >>> 16} and
 * belongs to the member of the first point at or after it, in unsigned order, wrapping past the
 * top to the lowest point; of members with a point at the same position, the one whose name
 * sorts first (by {@link String#compareTo}) owns it. Because points never depend on the other
 * members, a join only moves keys to the joining member and a leave only moves the leaving
 * member's keys: no key moves between two members that both stayed.
 *
 * <p>Why: rendezvous hashing balances better but costs O(N) per lookup; jump hash and Maglev
 * move keys between members that stayed when a member other than the last leaves; bounded
 * loads and AnchorHash depend on history. A ring with many points per member meets the balance
 * target (its imbalance shrinks as {@code 1/sqrt(vnodes)}) and, with an index, looks up in O(1).
 *
 * <p>Lookup is one key hash plus an O(1) probe that allocates nothing: a table over the top
 * bits of the hash (two to four points per bucket) gives the first point of the key's bucket,
 * and a short forward scan within a cache line or two finds the owner. Each point is one
 * {@code long} holding its position and its owner's index, so the ring takes about 9 bytes per
 * point (37 MB for 1000 members at the default {@value #DEFAULT_VNODES} vnodes, 3.7 MB for 100).
 * Building sorts the points with counting sorts on the same top bits, in linear time. See
 * {@code docs/ring.md} for the measurements behind these choices.
 */
public final class HashRing {

  /** The number of points per member used when none is given. */
  public static final int DEFAULT_VNODES = 4096;

  /** The largest number of points per member accepted by {@link #of}. */
  public static final int MAX_VNODES = 1 << 16;

  /** The largest number of members a ring may hold: owners are stored in 16 bits. */
  public static final int MAX_MEMBERS = 1 << 16;

  /** The largest number of points (members times vnodes) a ring may hold. */
  static final int MAX_POINTS = 1 << 28;

  private static final long OWNER_MASK = MAX_MEMBERS - 1;

  /** Top-level radix of the build's two-level counting sort: small enough to scatter well. */
  private static final int FIRST_DIGIT_BITS = 11;

  static final String ALGORITHM = "cloister-ring/1";

  private static final long GAMMA = 0x9E3779B97F4A7C15L;

  private final String[] names;
  private final List<String> members;
  private final int vnodes;
  /**
   * The sorted points: the 48 position bits of a point, the index of its owner in {@link #names}
   * in the low 16 bits, and the sign bit flipped so that signed order is unsigned order. The
   * owner bits never decide which point a key belongs to, only the order of points at one
   * position, where names sort like their indices. A sentinel above every key ends the array.
   */
  private final long[] points;
  /** For each bucket of the top bits of a hash, the index of its first point; one more at the end. */
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
      buckets = null;
      shift = 63;
      return;
    }
    // About two to four points per bucket: a lookup scans them within one or two cache lines.
    int bits = Math.max(1, 64 - Long.numberOfLeadingZeros(n - 1L) - 2);
    shift = 64 - bits;
    points = sortedPoints(names, vnodes, n, bits);
    buckets = bucketStarts(points, n, bits);
  }

  /**
   * Builds the ring of a set of members.
   *
   * @param members the member names; order and duplicates do not matter
   * @param vnodes the number of points per member, from 1 to {@link #MAX_VNODES}
   * @return the ring
   * @throws IllegalArgumentException if a name is null, vnodes is out of range, or the ring
   *     would hold more than {@link #MAX_MEMBERS} members or 2^28 points
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
    if (sorted.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException("a ring holds at most " + MAX_MEMBERS + " members, got " + sorted.size());
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
    long position = (keyHash & ~OWNER_MASK) ^ Long.MIN_VALUE;
    int i = buckets[(int) (keyHash >>> shift)];
    while (pts[i] < position) {
      i++;
    }
    return names[(int) (pts[i] & OWNER_MASK)];
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

  /** Derived from the checksum, so equal rings have equal hash codes. */
  @Override
  public int hashCode() {
    return Long.hashCode(checksum);
  }

  /**
   * Each member's share of the key space: the total length of the arcs it owns, exactly, from
   * its points. Linear in the number of points; meant for dashboards, not for lookups.
   *
   * @return the shares, in the order of {@link #members()}, summing to 1 (empty for an empty ring)
   */
  public double[] shares() {
    double[] shares = new double[names.length];
    if (points == null) {
      return shares;
    }
    int n = points.length - 1;
    long span = 1L << 48;
    long previous = position(points[n - 1]) - span;
    for (int i = 0; i < n; i++) {
      long p = position(points[i]);
      // Keys after the previous point, up to and at this one, belong to this point's owner.
      shares[(int) (points[i] & OWNER_MASK)] += (double) (p - previous) / span;
      previous = p;
    }
    return shares;
  }

  private static long position(long point) {
    return (point ^ Long.MIN_VALUE) >>> 16;
  }

  /** The vnodes, the members and the checksum in hex, for logs. */
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

  /** A packed, sign-flipped point of the member at {@code index}, from the state of its stream. */
  private static long point(long state, int index) {
    return ((mix(state) & ~OWNER_MASK) | index) ^ Long.MIN_VALUE;
  }

  /**
   * Generates and sorts every point in time linear in their number: a counting sort on the
   * top {@value #FIRST_DIGIT_BITS} bits scatters them into place as they are generated (twice:
   * once to count), a second counting sort within each of those ranges (small enough to stay in
   * cache) orders them by the rest of the bucket bits, and an insertion sort finishes each bucket.
   */
  private static long[] sortedPoints(String[] names, int vnodes, int n, int bits) {
    int firstBits = Math.min(bits, FIRST_DIGIT_BITS);
    int firstShift = 64 - firstBits;
    int[] starts = new int[(1 << firstBits) + 1];
    for (int m = 0; m < names.length; m++) {
      long state = KeyHash.hash(names[m]);
      for (int i = 0; i < vnodes; i++) {
        state += GAMMA;
        starts[(int) ((point(state, m) ^ Long.MIN_VALUE) >>> firstShift) + 1]++;
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
        state += GAMMA;
        long p = point(state, m);
        pts[fill[(int) ((p ^ Long.MIN_VALUE) >>> firstShift)]++] = p;
      }
    }
    int secondBits = bits - firstBits;
    if (secondBits > 0) {
      int secondShift = 64 - bits;
      int secondMask = (1 << secondBits) - 1;
      int[] counts = new int[(1 << secondBits) + 1];
      long[] scratch = new long[16];
      for (int d = 0; d + 1 < starts.length; d++) {
        int from = starts[d];
        int len = starts[d + 1] - from;
        if (len < 2) {
          continue;
        }
        if (scratch.length < len) {
          scratch = new long[Math.max(len, scratch.length * 2)];
        }
        System.arraycopy(pts, from, scratch, 0, len);
        Arrays.fill(counts, 0);
        for (int j = 0; j < len; j++) {
          counts[((int) ((scratch[j] ^ Long.MIN_VALUE) >>> secondShift) & secondMask) + 1]++;
        }
        for (int c = 1; c < counts.length; c++) {
          counts[c] += counts[c - 1];
        }
        for (int j = 0; j < len; j++) {
          long p = scratch[j];
          pts[from + counts[(int) ((p ^ Long.MIN_VALUE) >>> secondShift) & secondMask]++] = p;
        }
      }
    }
    insertionSortRuns(pts, n, 64 - bits);
    // The sentinel stops every scan; it belongs to the lowest point, where keys above the top wrap.
    pts[n] = (Long.MAX_VALUE & ~OWNER_MASK) | (pts[0] & OWNER_MASK);
    return pts;
  }

  /** Sorts each run of points that share a bucket; runs are a few points long. */
  private static void insertionSortRuns(long[] pts, int n, int shift) {
    int from = 0;
    while (from < n) {
      long bucket = (pts[from] ^ Long.MIN_VALUE) >>> shift;
      int to = from + 1;
      while (to < n && ((pts[to] ^ Long.MIN_VALUE) >>> shift) == bucket) {
        to++;
      }
      for (int i = from + 1; i < to; i++) {
        long p = pts[i];
        int j = i - 1;
        while (j >= from && pts[j] > p) {
          pts[j + 1] = pts[j];
          j--;
        }
        pts[j + 1] = p;
      }
      from = to;
    }
  }

  /** For each bucket, the index of its first point, or of the next bucket's if it has none. */
  private static int[] bucketStarts(long[] pts, int n, int bits) {
    int[] starts = new int[(1 << bits) + 1];
    int shift = 64 - bits;
    int b = 0;
    for (int i = 0; i < n; i++) {
      int bucket = (int) ((pts[i] ^ Long.MIN_VALUE) >>> shift);
      while (b <= bucket) {
        starts[b++] = i;
      }
    }
    while (b < starts.length) {
      starts[b++] = n;
    }
    return starts;
  }
}
