package dev.cloister.impl.ring;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyHashTest {

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The documented encoding, built independently of the streaming encoder. */
  private static byte[] tagged(int tag, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  @Test
  void xxh64MatchesPublishedVectors() {
    assertEquals(0xEF46DB3751D8E999L, KeyHash.xxh64(new byte[0]));
    assertEquals(0xD24EC4F1A98C6E5BL, KeyHash.xxh64(ascii("a")));
    assertEquals(0x44BC2CF5AD770999L, KeyHash.xxh64(ascii("abc")));
    // These, past one 32-byte stripe, were computed with the reference xxhsum -H1.
    assertEquals(0x066ED728FCEEB3BEL, KeyHash.xxh64(ascii("message digest")));
    assertEquals(0xCFE1F278FA89835CL, KeyHash.xxh64(ascii("abcdefghijklmnopqrstuvwxyz")));
    assertEquals(0xE04A477F19EE145DL, KeyHash.xxh64(ascii(
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890")));
    assertEquals(0x0E2B1EF27944075AL, KeyHash.xxh64(new byte[1000]));
  }

  @Test
  void everyKeyTypeHashesToItsPinnedValue() {
    // Expected values: xxhsum -H1 over the bytes of the documented encoding.
    assertEquals(0x8A4127811B21E730L, KeyHash.hash(""));
    assertEquals(0x2389C850A7C71A3EL, KeyHash.hash("hello"));
    assertEquals(0xE8D4974BDF949C4EL, KeyHash.hash("h\u00e9llo\u2713\uD83D\uDE00"));
    assertEquals(0xD3846C82FEF1571AL, KeyHash.hash("1"));
    assertEquals(0x87C3B2F161273502L, KeyHash.hash(1L));
    assertEquals(0xC4125F91876B4E50L, KeyHash.hash(-1));
    assertEquals(0x48B32691BBA5B991L, KeyHash.hash(new byte[] {1, 2, 3}));
    assertEquals(0x74DFD748B18288ECL, KeyHash.hash(UUID.fromString("00112233-4455-6677-8899-aabbccddeeff")));
    assertEquals(0x794836EEA7F827FBL, KeyHash.hash(1.5d));
    assertEquals(0x6FE88D7B12F600E1L, KeyHash.hash(true));
    assertEquals(0x661544A7522DB078L, KeyHash.hash(new BigDecimal("1.50")));
    assertEquals(0x20439849AFF7114CL, KeyHash.hash(new JsonObject().put("b", 1).put("a", "x")));
  }

  @Test
  void stringsHashAsTheirUtf8BytesBehindTheStringTag() {
    Random random = new Random(42);
    for (int i = 0; i < 2000; i++) {
      int len = random.nextInt(100);
      StringBuilder s = new StringBuilder();
      for (int j = 0; j < len; j++) {
        switch (random.nextInt(5)) {
          case 0: s.append((char) (0x20 + random.nextInt(0x5F))); break;
          case 1: s.append((char) (0x80 + random.nextInt(0x780))); break;
          case 2: s.append((char) (0x800 + random.nextInt(0xD000))); break;
          case 3: s.appendCodePoint(0x10000 + random.nextInt(0x100000 - 0x10000)); break;
          default: s.append((char) (0xD800 + random.nextInt(0x800))); break; // unpaired surrogate
        }
      }
      String key = s.toString();
      byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
      assertEquals(KeyHash.xxh64(tagged(KeyHash.TAG_STRING, utf8)), KeyHash.hash(key), key);
    }
  }

  @Test
  void asciiStringsOfEveryLengthHashAsTheirBytes() {
    Random random = new Random(11);
    for (int len = 0; len < 130; len++) {
      StringBuilder s = new StringBuilder();
      for (int j = 0; j < len; j++) {
        s.append((char) random.nextInt(0x80));
      }
      String key = s.toString();
      assertEquals(KeyHash.xxh64(tagged(KeyHash.TAG_STRING, ascii(key))), KeyHash.hash(key), key);
    }
  }

  @Test
  void bytesAndBuffersHashAlikeForEveryLength() {
    Random random = new Random(7);
    for (int len = 0; len < 200; len++) {
      byte[] b = new byte[len];
      random.nextBytes(b);
      long expected = KeyHash.xxh64(tagged(KeyHash.TAG_BYTES, b));
      assertEquals(expected, KeyHash.hash(b));
      assertEquals(expected, KeyHash.hash(Buffer.buffer(b)));
    }
  }

  @Test
  void integralNumbersOfAnyTypeHashAlike() {
    long one = KeyHash.hash(1L);
    assertEquals(one, KeyHash.hash(1));
    assertEquals(one, KeyHash.hash((short) 1));
    assertEquals(one, KeyHash.hash((byte) 1));
    assertEquals(one, KeyHash.hash(BigInteger.ONE));
    assertEquals(one, KeyHash.hash(new BigDecimal("1.000")));
    assertEquals(KeyHash.hash(Long.MIN_VALUE), KeyHash.hash(BigInteger.valueOf(Long.MIN_VALUE)));
    assertEquals(KeyHash.hash(0), KeyHash.hash(new BigDecimal("0E-7")));
  }

  @Test
  void keysOfDifferentKindsDoNotShareAnEncoding() {
    assertNotEquals(KeyHash.hash("1"), KeyHash.hash(1));
    assertNotEquals(KeyHash.hash(1.0d), KeyHash.hash(1));
    assertNotEquals(KeyHash.hash("abc"), KeyHash.hash(ascii("abc")));
    assertNotEquals(KeyHash.hash(true), KeyHash.hash(new byte[] {1}));
  }

  @Test
  void floatingPointValuesAreCanonical() {
    assertEquals(KeyHash.hash(1.5d), KeyHash.hash(1.5f));
    assertEquals(KeyHash.hash(0.0d), KeyHash.hash(-0.0d));
    assertEquals(KeyHash.hash(Double.NaN), KeyHash.hash(Double.longBitsToDouble(0x7FF0000000000123L)));
    assertEquals(KeyHash.hash(Double.NaN), KeyHash.hash(Float.NaN));
  }

  @Test
  void bigNumbersOutsideLongUseTheDecimalText() {
    assertEquals("15e-1", KeyHash.decimalText(new BigDecimal("1.500")));
    assertEquals("1e20", KeyHash.decimalText(new BigDecimal("100000000000000000000")));
    assertEquals("-9223372036854775809e0",
      KeyHash.decimalText(new BigDecimal(BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE))));
    BigInteger big = BigInteger.TWO.pow(70);
    assertEquals(KeyHash.hash(big), KeyHash.hash(new BigDecimal(big).setScale(3)));
    assertEquals(KeyHash.xxh64(tagged(KeyHash.TAG_DECIMAL, ascii("1180591620717411303424e0"))), KeyHash.hash(big));
  }

  @Test
  void jsonHashesItsCanonicalText() {
    JsonObject a = new JsonObject().put("z", 1).put("a", new JsonArray().add("x").add(2.5)).put("m", (Object) null);
    JsonObject b = new JsonObject().put("m", (Object) null).put("a", new JsonArray().add("x").add(2.5)).put("z", 1L);
    assertEquals("{\"a\":[\"x\",25e-1],\"m\":null,\"z\":1}", KeyHash.canonicalJson(a));
    assertEquals(KeyHash.hash(a), KeyHash.hash(b));
    assertEquals(KeyHash.xxh64(tagged(KeyHash.TAG_JSON,
      KeyHash.canonicalJson(a).getBytes(StandardCharsets.UTF_8))), KeyHash.hash(a));
    assertNotEquals(KeyHash.hash(a), KeyHash.hash(a.copy().put("z", 2)));
  }

  @Test
  void jsonHashesTheSameAfterATripOverTheWire() {
    JsonObject original = new JsonObject()
      .put("text", "tab\there \"quoted\" \u0001 \u00e9")
      .put("bytes", new byte[] {1, 2, 3, -1})
      .put("nested", new JsonObject().put("y", true).put("x", 1.0))
      .put("list", new JsonArray().add(1).add(new BigDecimal("2.50")));
    JsonObject decoded = new JsonObject(original.encode());
    assertEquals(KeyHash.hash(original), KeyHash.hash(decoded));
    assertEquals("{\"bytes\":\"AQID_w\",\"list\":[1,25e-1],\"nested\":{\"x\":1,\"y\":true},"
      + "\"text\":\"tab\\there \\\"quoted\\\" \\u0001 \u00e9\"}", KeyHash.canonicalJson(original));
    assertEquals(KeyHash.hash(new JsonArray().add("a")), KeyHash.hash(new JsonArray("[ \"a\" ]")));
  }

  @Test
  void nullKeyIsRejectedClearly() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyHash.hash(null));
    assertEquals("key must not be null", e.getMessage());
  }

  @Test
  void unsupportedKeyTypeIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyHash.hash(new Date(0)));
    assertTrue(e.getMessage().contains("java.util.Date"), e.getMessage());
    assertTrue(e.getMessage().contains("supported key types are String"), e.getMessage());
    IllegalArgumentException inJson = assertThrows(IllegalArgumentException.class,
      () -> KeyHash.hash(new JsonObject().put("when", (Object) new Date(0))));
    assertTrue(inJson.getMessage().contains("java.util.Date"), inJson.getMessage());
  }
}
