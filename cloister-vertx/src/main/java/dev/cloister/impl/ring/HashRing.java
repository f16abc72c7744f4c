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
 * Building sorts the points with counting sorts on the same top bits, in linear time; a ring
 * {@linkplain #rebuild rebuilt} after a few joins or leaves is instead merged from the previous
 * ring's points, in one pass. See {@code docs/ring.md} for the measurements behind these choices.
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

  /** The owner bits of a point. */
  static final long OWNER_MASK = MAX_MEMBERS - 1;

  static final String ALGORITHM = "cloister-ring/1";

  /** The step of each member's stream of points, in {@link #point}'s state. */
  static final long GAMMA = 0x9E3779B97F4A7C15L;

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

  /**
   * A ring of sorted points and their bucket index, or of no point when both are null.
   *
   * @param points the sorted points with one free slot at the end, where the sentinel goes
   * @param buckets the index of the first point of each bucket, then the number of points
   */
  private HashRing(String[] names, int vnodes, long[] points, int[] buckets) {
    this.names = names;
    this.members = Collections.unmodifiableList(Arrays.asList(names.clone()));
    this.vnodes = vnodes;
    this.checksum = checksum(names, vnodes);
    this.points = points;
    this.buckets = buckets;
    if (points == null) {
      shift = 63;
      return;
    }
    shift = bucketShift(buckets);
    // The sentinel stops every scan; it belongs to the lowest point, where keys above the top wrap.
    points[points.length - 1] = (Long.MAX_VALUE & ~OWNER_MASK) | (points[0] & OWNER_MASK);
  }

  /** Builds a ring from scratch. */
  private static HashRing build(String[] names, int vnodes) {
    int n = names.length * vnodes;
    if (n == 0) {
      return new HashRing(names, vnodes, null, null);
    }
    int[] buckets = new int[(1 << bucketBits(n)) + 1];
    return new HashRing(names, vnodes, PointSort.sortedPoints(names, vnodes, buckets), buckets);
  }

  /**
   * How far a hash or a point's position shifts right to give its bucket in this bucket index.
   *
   * @param buckets a bucket index of {@code 2^bits + 1} entries
   * @return {@code 64 - bits}
   */
  static int bucketShift(int[] buckets) {
    return 64 - Integer.numberOfTrailingZeros(buckets.length - 1);
  }

  /**
   * The top bits of a packed point's position: its bucket, for the shift of a bucket index.
   *
   * @param point a packed, sign-flipped point
   * @param shift 64 minus the number of bits wanted
   * @return the bits, as an index
   */
  static int topBits(long point, int shift) {
    return (int) ((point ^ Long.MIN_VALUE) >>> shift);
  }

  /**
   * The number of top bits of a hash that index the buckets of a ring of {@code n} points: about
   * two to four points per bucket, so a lookup scans them within one or two cache lines.
   */
  static int bucketBits(int n) {
    return Math.max(1, 64 - Long.numberOfLeadingZeros(n - 1L) - 2);
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
    return build(sortedNames(members, vnodes), vnodes);
  }

  /**
   * Builds the ring of another set of members with this ring's vnodes: a ring equal to
   * {@code HashRing.of(members, vnodes())}, point for point. When a few members joined or left
   * (at most a sixteenth of them) it is derived from this ring, the leavers' points filtered out
   * and the joiners' merged in with one pass over the points, instead of generating and sorting
   * them all: for the one join or leave of a membership change at 1000 members, a fifth of the
   * time of a full build.
   *
   * @param members the member names; order and duplicates do not matter
   * @return the ring, this one if the members are the same
   * @throws IllegalArgumentException if a name is null, or the ring would hold more than
   *     {@link #MAX_MEMBERS} members or 2^28 points
   */
  public HashRing rebuild(Collection<String> members) {
    Objects.requireNonNull(members, "members");
    String[] next = sortedNames(members, vnodes);
    if (Arrays.equals(next, names)) {
      return this;
    }
    PointMerge merge = PointMerge.between(names, next);
    if (!merge.cheaperThanBuild()) {
      return build(next, vnodes);
    }
    int[] nextBuckets = new int[(1 << bucketBits(next.length * vnodes)) + 1];
    return new HashRing(next, vnodes, merge.points(points, buckets, vnodes, nextBuckets), nextBuckets);
  }

  /** The distinct names, sorted, once checked against the limits of a ring. */
  private static String[] sortedNames(Collection<String> members, int vnodes) {
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
    return sorted.toArray(new String[0]);
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

  /** What {@link #runs} reports: a run of positions one member owns. */
  @FunctionalInterface
  public interface Run {
    /**
     * @param last the run's last position (the run begins after the previous run's last, or at
     *     the first position asked for)
     * @param owner the member that owns every position of the run
     */
    void accept(long last, String owner);
  }

  /**
   * Reports who owns the key positions from {@code first} to {@code last}, as runs of one owner
   * each, in order (a key whose hash is {@code h} sits at position {@code h >>> 16}). Allocates
   * nothing; costs one step per point in the range.
   *
   * @param first the first position, from 0 to 2^48 - 1
   * @param last the last position, from {@code first} to 2^48 - 1
   * @param run called for each run; consecutive runs have different owners
   * @throws IllegalStateException if the ring is empty
   */
  public void runs(long first, long last, Run run) {
    long[] pts = points;
    if (pts == null) {
      throw new IllegalStateException("ring is empty");
    }
    if (first < 0 || last < first || last >>> 48 != 0) {
      throw new IllegalArgumentException("positions out of order or out of range: " + first + ".." + last);
    }
    long keyHash = first << 16;
    long from = (keyHash & ~OWNER_MASK) ^ Long.MIN_VALUE;
    int i = buckets[(int) (keyHash >>> shift)];
    while (pts[i] < from) {
      i++;
    }
    long at = first;
    String current = null;
    long currentLast = -1;
    for (; ; i++) {
      long p = position(pts[i]);
      if (p < at) {
        continue; // a second point at a position: the first one owns it
      }
      String owner = names[(int) (pts[i] & OWNER_MASK)];
      long end = Math.min(p, last);
      if (current != null && !current.equals(owner)) {
        run.accept(currentLast, current);
      }
      current = owner;
      currentLast = end;
      if (p >= last) {
        break;
      }
      at = p + 1;
    }
    run.accept(currentLast, current);
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

  /** The sorted points and the sentinel, or null for an empty ring; shared, for this package's tests. */
  long[] points() {
    return points;
  }

  /** The bucket index, or null for an empty ring; shared, for this package's tests. */
  int[] buckets() {
    return buckets;
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
  static long point(long state, int index) {
    return ((mix(state) & ~OWNER_MASK) | index) ^ Long.MIN_VALUE;
  }

  /** Writes the points of the member at {@code index}, in the order of its stream, from {@code at}. */
  static void memberPoints(String name, int index, int vnodes, long[] into, int at) {
    long state = KeyHash.hash(name);
    for (int i = 0; i < vnodes; i++) {
      state += GAMMA;
      into[at + i] = point(state, index);
    }
  }
}
