package dev.cloister.impl.ring;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The stable, portable 64-bit hash of a ring key.
 *
 * <p>The hash of a key is {@code XXH64(tag || payload, seed = 0)}: the 64-bit xxHash (XXH64,
 * as specified by the xxHash project) of one tag byte followed by the key's payload bytes. The
 * tag names the kind of the key, so that keys of different kinds never share an encoding: the
 * string {@code "1"} is {@code 01 31}, the number {@code 1} is {@code 03 00 00 00 00 00 00 00 01}.
 * Any language with an XXH64 implementation can compute the same hash from this table.
 *
 * <table>
 *   <caption>Key encodings</caption>
 *   <tr><th>Tag</th><th>Java key types</th><th>Payload</th></tr>
 *   <tr><td>{@code 0x01}</td><td>{@code String}</td><td>its UTF-8 bytes; an unpaired surrogate
 *       is encoded as {@code '?'} ({@code 0x3F}), as {@code String.getBytes(UTF_8)} does</td></tr>
 *   <tr><td>{@code 0x02}</td><td>{@code byte[]}, {@code Buffer}</td><td>the bytes as they are</td></tr>
 *   <tr><td>{@code 0x03}</td><td>{@code Byte}, {@code Short}, {@code Integer}, {@code Long}, and a
 *       {@code BigInteger} or {@code BigDecimal} whose value is an integer in the range of a
 *       {@code long}</td><td>the value as an 8-byte two's complement big-endian integer, so
 *       {@code 1}, {@code 1L} and {@code BigDecimal("1.00")} hash the same</td></tr>
 *   <tr><td>{@code 0x04}</td><td>{@code Float}, {@code Double}</td><td>the value widened to a
 *       {@code double} (exact for a float), as the 8 big-endian bytes of its IEEE 754 bits;
 *       {@code -0.0} is written as {@code 0.0} and every NaN as {@code 0x7FF8000000000000}</td></tr>
 *   <tr><td>{@code 0x05}</td><td>any other {@code BigInteger} or {@code BigDecimal}</td><td>the
 *       ASCII text {@code M "e" E} of the exact value {@code M × 10^E}, where the integer
 *       {@code M} is not divisible by 10, both in decimal with a leading {@code '-'} when negative:
 *       {@code 1.5} is {@code "15e-1"}, {@code 10^20} is {@code "1e20"}</td></tr>
 *   <tr><td>{@code 0x06}</td><td>{@code UUID}</td><td>its 16 bytes, big-endian (most significant
 *       long first)</td></tr>
 *   <tr><td>{@code 0x07}</td><td>{@code Boolean}</td><td>one byte, {@code 0x01} for true and
 *       {@code 0x00} for false</td></tr>
 *   <tr><td>{@code 0x08}</td><td>{@code JsonObject}, {@code JsonArray}</td><td>the UTF-8 bytes of
 *       the canonical JSON text described below</td></tr>
 * </table>
 *
 * <p>Canonical JSON text: no whitespace; object members sorted by name, comparing UTF-16 code
 * units (as RFC 8785 does); strings in double quotes, escaping {@code "} and {@code \} with a
 * backslash, {@code \b \f \n \r \t} by name and other characters below U+0020 as
 * {@code \}{@code u00xx} (lower-case hex), every other character written as itself. Numbers are
 * written from their exact value: an integer in the range of a {@code long} in plain decimal,
 * any other finite value as the {@code M "e" E} text of tag {@code 0x05}, non-finite doubles as
 * {@code NaN}, {@code Infinity}, {@code -Infinity}; inside JSON, {@code 1} and {@code 1.0} are the
 * same number, as they are for JSON itself. {@code byte[]} and {@code Buffer} values are strings
 * holding their unpadded base64url form, {@code Instant} values strings in ISO-8601
 * ({@code DateTimeFormatter.ISO_INSTANT}), enum constants strings holding their name, {@code Map}
 * and {@code List} values objects and arrays: these match what Vert.x writes for them, so a
 * {@code JsonObject} hashes the same before and after a trip over the wire.
 *
 * <p>Hashing a string allocates nothing: characters are encoded to UTF-8 on the fly. A
 * {@code null} key, and a key of any other type, is rejected with an
 * {@link IllegalArgumentException} whose message says why.
 */
public final class KeyHash {

  static final int TAG_STRING = 0x01;
  static final int TAG_BYTES = 0x02;
  static final int TAG_INTEGER = 0x03;
  static final int TAG_FLOAT = 0x04;
  static final int TAG_DECIMAL = 0x05;
  static final int TAG_UUID = 0x06;
  static final int TAG_BOOLEAN = 0x07;
  static final int TAG_JSON = 0x08;

  /** Marks input without a tag byte, for the plain XXH64 of a byte array. */
  private static final int NO_TAG = -1;

  static final String SUPPORTED = "String, byte[], Buffer, Byte, Short, Integer, Long, BigInteger,"
    + " BigDecimal, Float, Double, Boolean, UUID, JsonObject and JsonArray";

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  // Where the payload bytes come from; one streaming loop serves them all.
  private static final int SRC_BYTES = 0;
  private static final int SRC_BUFFER = 1;
  private static final int SRC_STRING = 2;
  private static final int SRC_BIG_ENDIAN = 3;

  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private KeyHash() {
  }

  /**
   * Returns the 64-bit hash of a key, as specified in the class documentation.
   *
   * @param key the key; one of the supported types
   * @return the hash, the same on every JVM and in every version that keeps this encoding
   * @throws IllegalArgumentException if the key is null or of an unsupported type
   */
  public static long hash(Object key) {
    if (key instanceof String) {
      return hashString(TAG_STRING, (String) key);
    }
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    if (key instanceof Integer || key instanceof Long || key instanceof Short || key instanceof Byte) {
      return hashLong(TAG_INTEGER, ((Number) key).longValue());
    }
    if (key instanceof byte[]) {
      byte[] b = (byte[]) key;
      return stream(TAG_BYTES, SRC_BYTES, b, 0L, 0L, b.length);
    }
    if (key instanceof Buffer) {
      Buffer b = (Buffer) key;
      return stream(TAG_BYTES, SRC_BUFFER, b, 0L, 0L, b.length());
    }
    if (key instanceof UUID) {
      UUID u = (UUID) key;
      return stream(TAG_UUID, SRC_BIG_ENDIAN, null, u.getMostSignificantBits(), u.getLeastSignificantBits(), 16);
    }
    if (key instanceof Double || key instanceof Float) {
      return hashLong(TAG_FLOAT, canonicalBits(((Number) key).doubleValue()));
    }
    if (key instanceof BigInteger) {
      BigInteger b = (BigInteger) key;
      return b.bitLength() < 64 ? hashLong(TAG_INTEGER, b.longValue()) : hashDecimal(new BigDecimal(b));
    }
    if (key instanceof BigDecimal) {
      return hashDecimal((BigDecimal) key);
    }
    if (key instanceof Boolean) {
      return stream(TAG_BOOLEAN, SRC_BIG_ENDIAN, null, 0L, ((Boolean) key) ? 1L : 0L, 1);
    }
    if (key instanceof JsonObject || key instanceof JsonArray) {
      return hashString(TAG_JSON, canonicalJson(key));
    }
    throw new IllegalArgumentException("unsupported key type " + key.getClass().getName()
      + "; supported key types are " + SUPPORTED);
  }

  /** The plain XXH64 of a byte array with seed 0, without a tag: for test vectors. */
  static long xxh64(byte[] data) {
    return stream(NO_TAG, SRC_BYTES, data, 0L, 0L, data.length);
  }

  /** The canonical JSON text of a {@code JsonObject} or {@code JsonArray}, as hashed under tag 0x08. */
  static String canonicalJson(Object json) {
    return CanonicalJson.of(json);
  }

  /** The canonical text of an exact decimal value under tag 0x05, or null if it is a long. */
  static String decimalText(BigDecimal value) {
    if (value.signum() == 0) {
      return null;
    }
    BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 19) {
      BigInteger i = stripped.toBigInteger();
      if (i.compareTo(LONG_MIN) >= 0 && i.compareTo(LONG_MAX) <= 0) {
        return null;
      }
    }
    return stripped.unscaledValue().toString() + "e" + (-(long) stripped.scale());
  }

  private static long hashDecimal(BigDecimal value) {
    String text = decimalText(value);
    if (text == null) {
      return hashLong(TAG_INTEGER, value.longValueExact());
    }
    return hashString(TAG_DECIMAL, text);
  }

  private static long hashString(int tag, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return stream(tag, SRC_STRING, s, 0L, 0L, utf8Length(s));
      }
    }
    return ascii(tag, s);
  }

  /**
   * XXH64 of the tag byte followed by an ASCII string, whose chars are its bytes: the common
   * case, read eight chars to a word instead of byte by byte.
   */
  private static long ascii(int tag, String s) {
    int total = s.length() + 1;
    int p = 0;
    long h;
    if (total >= 32) {
      long v1 = P1 + P2;
      long v2 = P2;
      long v3 = 0L;
      long v4 = -P1;
      do {
        v1 = round(v1, asciiWord(tag, s, p));
        v2 = round(v2, asciiWord(tag, s, p + 8));
        v3 = round(v3, asciiWord(tag, s, p + 16));
        v4 = round(v4, asciiWord(tag, s, p + 24));
        p += 32;
      } while (p <= total - 32);
      h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
      h = mergeRound(h, v1);
      h = mergeRound(h, v2);
      h = mergeRound(h, v3);
      h = mergeRound(h, v4);
    } else {
      h = P5;
    }
    h += total;
    for (; p + 8 <= total; p += 8) {
      h ^= round(0L, asciiWord(tag, s, p));
      h = Long.rotateLeft(h, 27) * P1 + P4;
    }
    if (p + 4 <= total) {
      long w = p == 0 ? tag | s.charAt(0) << 8 | s.charAt(1) << 16 | s.charAt(2) << 24
        : s.charAt(p - 1) | s.charAt(p) << 8 | s.charAt(p + 1) << 16 | (long) s.charAt(p + 2) << 24;
      h ^= (w & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      p += 4;
    }
    for (; p < total; p++) {
      h ^= (p == 0 ? tag : s.charAt(p - 1)) * P5;
      h = Long.rotateLeft(h, 11) * P1;
    }
    return avalanche(h);
  }

  /** The little-endian word of bytes {@code p..p+7} of the tag byte followed by an ASCII string. */
  private static long asciiWord(int tag, String s, int p) {
    int q = p - 1;
    if (q < 0) {
      return tag | (long) s.charAt(0) << 8 | (long) s.charAt(1) << 16 | (long) s.charAt(2) << 24
        | (long) s.charAt(3) << 32 | (long) s.charAt(4) << 40 | (long) s.charAt(5) << 48 | (long) s.charAt(6) << 56;
    }
    return s.charAt(q) | (long) s.charAt(q + 1) << 8 | (long) s.charAt(q + 2) << 16 | (long) s.charAt(q + 3) << 24
      | (long) s.charAt(q + 4) << 32 | (long) s.charAt(q + 5) << 40 | (long) s.charAt(q + 6) << 48
      | (long) s.charAt(q + 7) << 56;
  }

  private static long avalanche(long h) {
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  private static long hashLong(int tag, long value) {
    return stream(tag, SRC_BIG_ENDIAN, null, 0L, value, 8);
  }

  private static long canonicalBits(double d) {
    if (Double.isNaN(d)) {
      return 0x7FF8000000000000L;
    }
    return d == 0.0 ? 0L : Double.doubleToRawLongBits(d);
  }

  /** The number of bytes that {@link #stream} produces for a string. */
  private static int utf8Length(String s) {
    int n = s.length();
    int len = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          len += 1;
        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          len += 2; // two chars, four bytes
          i++;
        } else if (!Character.isSurrogate(c)) {
          len += 2;
        }
      }
    }
    return len;
  }

  /**
   * XXH64 with seed 0 over the tag byte (unless {@link #NO_TAG}) followed by {@code len} payload
   * bytes taken from {@code src}, or from {@code hi} and {@code lo} as big-endian bytes (the last
   * {@code len} bytes of the 16-byte {@code hi || lo}). Bytes are consumed one at a time into a
   * little-endian word, so a string is encoded to UTF-8 without a buffer.
   */
  private static long stream(int tag, int kind, Object src, long hi, long lo, int len) {
    long total = tag == NO_TAG ? len : len + 1L;
    long stripeEnd = total >= 32 ? total & ~31L : 0L;
    long v1 = P1 + P2;
    long v2 = P2;
    long v3 = 0L;
    long v4 = -P1;
    long h = total >= 32 ? 0L : P5 + total;
    long word = 0L;
    int shift = 0;
    long pos = 0L;
    // String state: next char, and the pending continuation bytes of a multi-byte character.
    int ci = 0;
    int pending = 0;
    int npending = 0;
    for (int i = tag == NO_TAG ? 0 : -1; i < len; i++) {
      int b;
      if (i < 0) {
        b = tag;
      } else if (kind == SRC_STRING) {
        if (npending > 0) {
          b = pending & 0xFF;
          pending >>>= 8;
          npending--;
        } else {
          String s = (String) src;
          char c = s.charAt(ci++);
          if (c < 0x80) {
            b = c;
          } else if (c < 0x800) {
            b = 0xC0 | (c >>> 6);
            pending = 0x80 | (c & 0x3F);
            npending = 1;
          } else if (Character.isSurrogate(c)) {
            if (Character.isHighSurrogate(c) && ci < s.length() && Character.isLowSurrogate(s.charAt(ci))) {
              int cp = Character.toCodePoint(c, s.charAt(ci++));
              b = 0xF0 | (cp >>> 18);
              pending = (0x80 | ((cp >>> 12) & 0x3F))
                | (0x80 | ((cp >>> 6) & 0x3F)) << 8
                | (0x80 | (cp & 0x3F)) << 16;
              npending = 3;
            } else {
              b = '?';
            }
          } else {
            b = 0xE0 | (c >>> 12);
            pending = (0x80 | ((c >>> 6) & 0x3F)) | (0x80 | (c & 0x3F)) << 8;
            npending = 2;
          }
        }
      } else if (kind == SRC_BYTES) {
        b = ((byte[]) src)[i];
      } else if (kind == SRC_BIG_ENDIAN) {
        int k = 16 - len + i;
        b = (int) (k < 8 ? hi >>> (56 - 8 * k) : lo >>> (120 - 8 * k));
      } else {
        b = ((Buffer) src).getByte(i);
      }
      word |= (long) (b & 0xFF) << shift;
      shift += 8;
      if (shift == 64) {
        if (pos < stripeEnd) {
          switch ((int) (pos >>> 3) & 3) {
            case 0:
              v1 = round(v1, word);
              break;
            case 1:
              v2 = round(v2, word);
              break;
            case 2:
              v3 = round(v3, word);
              break;
            default:
              v4 = round(v4, word);
              if (pos + 8 == stripeEnd) {
                h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
                h = mergeRound(h, v1);
                h = mergeRound(h, v2);
                h = mergeRound(h, v3);
                h = mergeRound(h, v4);
                h += total;
              }
          }
        } else {
          h ^= round(0L, word);
          h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        pos += 8;
        word = 0L;
        shift = 0;
      }
    }
    int rest = shift >>> 3;
    if (rest >= 4) {
      h ^= (word & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      word >>>= 32;
      rest -= 4;
    }
    for (; rest > 0; rest--) {
      h ^= (word & 0xFF) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      word >>>= 8;
    }
    return avalanche(h);
  }

  private static long round(long acc, long input) {
    acc += input * P2;
    acc = Long.rotateLeft(acc, 31);
    return acc * P1;
  }

  private static long mergeRound(long acc, long val) {
    acc ^= round(0L, val);
    return acc * P1 + P4;
  }
}
