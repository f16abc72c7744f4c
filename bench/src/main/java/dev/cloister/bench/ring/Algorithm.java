package dev.cloister.bench.ring;

import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.ring.KeyHash;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.TreeSet;

/** The key-to-node algorithms compared by the ring benchmarks, each built from a member set. */
public enum Algorithm {

  /** Cloister's {@link HashRing}: xxHash64 keys, {@value HashRing#DEFAULT_VNODES} points per node, bucket index. */
  CLOISTER {
    @Override
    public Ring build(Collection<String> members) {
      HashRing ring = HashRing.of(members);
      return ring::owner;
    }
  },

  /**
   * libring's algorithm: a 32-bit Jenkins lookup2 hash (Erlang's phash2 is of this family),
   * 128 points per node at hash(name + "_" + i), owner = first point at or above the key's hash,
   * wrapping. libring keeps the points in a gb_tree; a sorted array and a binary search is the
   * fastest Java equivalent, so this flatters libring's lookup time.
   */
  LIBRING {
    @Override
    public Ring build(Collection<String> members) {
      String[] names = sorted(members);
      int n = names.length * 128;
      long[] packed = new long[n];
      for (int m = 0; m < names.length; m++) {
        for (int i = 0; i < 128; i++) {
          long point = Integer.toUnsignedLong(lookup2(utf8(names[m] + "_" + i)));
          packed[m * 128 + i] = point << 31 | m; // positive, so signed order is point order
        }
      }
      Arrays.sort(packed);
      long[] points = new long[n];
      String[] owners = new String[n];
      for (int i = 0; i < n; i++) {
        points[i] = packed[i] >>> 31;
        owners[i] = names[(int) (packed[i] & 0x7FFFFFFF)];
      }
      return key -> {
        long h = Integer.toUnsignedLong(lookup2(utf8(key)));
        int i = Arrays.binarySearch(points, h);
        if (i < 0) {
          i = -i - 1;
        }
        return owners[i == n ? 0 : i];
      };
    }
  },

  /** Lamping and Veach's jump consistent hash over the sorted members, on Cloister's key hash. */
  JUMP {
    @Override
    public Ring build(Collection<String> members) {
      String[] names = sorted(members);
      return key -> names[jump(KeyHash.hash(key), names.length)];
    }
  },

  /** Rendezvous (highest random weight): the member with the highest mix(key hash ^ member hash). */
  RENDEZVOUS {
    @Override
    public Ring build(Collection<String> members) {
      String[] names = sorted(members);
      long[] seeds = new long[names.length];
      for (int i = 0; i < names.length; i++) {
        seeds[i] = KeyHash.hash(names[i]);
      }
      return key -> {
        long h = KeyHash.hash(key);
        int best = 0;
        long bestScore = Long.MIN_VALUE;
        for (int i = 0; i < seeds.length; i++) {
          long score = mix(h ^ seeds[i]);
          if (score > bestScore) {
            bestScore = score;
            best = i;
          }
        }
        return names[best];
      };
    }
  };

  /** Builds the algorithm's structure for a member set. */
  public abstract Ring build(Collection<String> members);

  /** A built structure: who owns a key. */
  public interface Ring {
    String owner(String key);
  }

  static String[] sorted(Collection<String> members) {
    return new TreeSet<>(members).toArray(new String[0]);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static int jump(long key, int buckets) {
    long b = -1;
    long j = 0;
    while (j < buckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Bob Jenkins' lookup2 hash (1996) with initial value 0. */
  static int lookup2(byte[] k) {
    int a = 0x9e3779b9;
    int b = 0x9e3779b9;
    int c = 0;
    int len = k.length;
    int i = 0;
    while (len - i >= 12) {
      a += (k[i] & 0xFF) | (k[i + 1] & 0xFF) << 8 | (k[i + 2] & 0xFF) << 16 | (k[i + 3] & 0xFF) << 24;
      b += (k[i + 4] & 0xFF) | (k[i + 5] & 0xFF) << 8 | (k[i + 6] & 0xFF) << 16 | (k[i + 7] & 0xFF) << 24;
      c += (k[i + 8] & 0xFF) | (k[i + 9] & 0xFF) << 8 | (k[i + 10] & 0xFF) << 16 | (k[i + 11] & 0xFF) << 24;
      a -= b; a -= c; a ^= c >>> 13;
      b -= c; b -= a; b ^= a << 8;
      c -= a; c -= b; c ^= b >>> 13;
      a -= b; a -= c; a ^= c >>> 12;
      b -= c; b -= a; b ^= a << 16;
      c -= a; c -= b; c ^= b >>> 5;
      a -= b; a -= c; a ^= c >>> 3;
      b -= c; b -= a; b ^= a << 10;
      c -= a; c -= b; c ^= b >>> 15;
      i += 12;
    }
    c += len;
    switch (len - i) {
      case 11: c += (k[i + 10] & 0xFF) << 24; // fall through
      case 10: c += (k[i + 9] & 0xFF) << 16; // fall through
      case 9: c += (k[i + 8] & 0xFF) << 8; // fall through
      case 8: b += (k[i + 7] & 0xFF) << 24; // fall through
      case 7: b += (k[i + 6] & 0xFF) << 16; // fall through
      case 6: b += (k[i + 5] & 0xFF) << 8; // fall through
      case 5: b += k[i + 4] & 0xFF; // fall through
      case 4: a += (k[i + 3] & 0xFF) << 24; // fall through
      case 3: a += (k[i + 2] & 0xFF) << 16; // fall through
      case 2: a += (k[i + 1] & 0xFF) << 8; // fall through
      case 1: a += k[i] & 0xFF; // fall through
      default: break;
    }
    a -= b; a -= c; a ^= c >>> 13;
    b -= c; b -= a; b ^= a << 8;
    c -= a; c -= b; c ^= b >>> 13;
    a -= b; a -= c; a ^= c >>> 12;
    b -= c; b -= a; b ^= a << 16;
    c -= a; c -= b; c ^= b >>> 5;
    a -= b; a -= c; a ^= c >>> 3;
    b -= c; b -= a; b ^= a << 10;
    c -= a; c -= b; c ^= b >>> 15;
    return c;
  }
}
