package dev.cloister.impl.ring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HashRingTest {

  private static final int KEYS = 200_000;

  private static List<String> nodes(String prefix, int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(prefix + "-" + i);
    }
    return names;
  }

  private static long[] keyHashes(long seed, int count) {
    Random random = new Random(seed);
    long[] hashes = new long[count];
    for (int i = 0; i < count; i++) {
      hashes[i] = KeyHash.hash("user:" + Long.toHexString(random.nextLong()));
    }
    return hashes;
  }

  private static String[] owners(HashRing ring, long[] keys) {
    String[] owners = new String[keys.length];
    for (int i = 0; i < keys.length; i++) {
      owners[i] = ring.owner(keys[i]);
    }
    return owners;
  }

  @Test
  void anyInsertionOrderGivesTheSameOwners() {
    List<String> members = nodes("node", 12);
    HashRing reference = HashRing.of(members, 256);
    long[] keys = keyHashes(1, 20_000);
    String[] expected = owners(reference, keys);
    Random random = new Random(2);
    for (int round = 0; round < 5; round++) {
      List<String> shuffled = new ArrayList<>(members);
      Collections.shuffle(shuffled, random);
      shuffled.add(shuffled.get(0)); // a duplicate changes nothing either
      HashRing ring = HashRing.of(shuffled, 256);
      assertEquals(reference, ring);
      assertEquals(members.stream().sorted().toList(), ring.members());
      for (int i = 0; i < keys.length; i++) {
        assertEquals(expected[i], ring.owner(keys[i]));
      }
    }
  }

  @Test
  void aLeaveMovesExactlyTheLeavingNodesKeys() {
    long[] keys = keyHashes(3, KEYS);
    for (int n : new int[] {3, 10, 50}) {
      List<String> members = nodes("n" + n, n);
      HashRing before = HashRing.of(members);
      String gone = members.get(new Random(n).nextInt(n));
      List<String> rest = new ArrayList<>(members);
      rest.remove(gone);
      HashRing after = HashRing.of(rest);
      for (long key : keys) {
        String was = before.owner(key);
        String now = after.owner(key);
        if (was.equals(gone)) {
          assertNotEquals(gone, now);
        } else {
          assertEquals(was, now, "a key moved between two nodes that both stayed");
        }
      }
    }
  }

  @Test
  void aJoinMovesKeysOnlyToTheNewNode() {
    long[] keys = keyHashes(4, KEYS);
    for (int n : new int[] {1, 3, 10, 50}) {
      List<String> members = nodes("j" + n, n);
      HashRing before = HashRing.of(members);
      List<String> more = new ArrayList<>(members);
      more.add("newcomer");
      HashRing after = HashRing.of(more);
      int moved = 0;
      for (long key : keys) {
        String was = before.owner(key);
        String now = after.owner(key);
        if (!was.equals(now)) {
          assertEquals("newcomer", now, "a key moved between two nodes that both stayed");
          moved++;
        }
      }
      double share = moved / (double) KEYS;
      double ideal = 1.0 / (n + 1);
      assertTrue(Math.abs(share - ideal) < 0.15 * ideal, "newcomer took " + share + ", ideal " + ideal);
    }
  }

  private static double maxOverMean(int n, long seed, int keyCount) {
    HashRing ring = HashRing.of(nodes("balance" + seed, n));
    Map<String, Integer> load = new HashMap<>();
    for (long key : keyHashes(seed, keyCount)) {
      load.merge(ring.owner(key), 1, Integer::sum);
    }
    assertEquals(n, load.size());
    return Collections.max(load.values()) / (keyCount / (double) n);
  }

  @Test
  void tenNodesAreBalancedWithinSixPercent() {
    double ratio = maxOverMean(10, 10, 500_000);
    assertTrue(ratio <= 1.06, "max/mean " + ratio);
  }

  @Test
  void aHundredNodesAreBalancedWithinTenPercent() {
    double ratio = maxOverMean(100, 100, 1_000_000);
    assertTrue(ratio <= 1.10, "max/mean " + ratio);
  }

  @Test
  void ownersFollowTheDocumentedAlgorithm() {
    // A direct reading of the class documentation: points, positions, successor, wrap, ties.
    List<String> names = List.of("alpha", "beta", "gamma", "delta");
    int vnodes = 5;
    List<long[]> points = new ArrayList<>(); // {position, index of the name in sorted order}
    List<String> sorted = names.stream().sorted().toList();
    for (int m = 0; m < sorted.size(); m++) {
      long s = KeyHash.hash(sorted.get(m));
      for (int i = 1; i <= vnodes; i++) {
        points.add(new long[] {HashRing.mix(s + i * 0x9E3779B97F4A7C15L) >>> 16, m});
      }
    }
    points.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    HashRing ring = HashRing.of(names, vnodes);
    for (long key : keyHashes(6, 20_000)) {
      long position = key >>> 16;
      long[] owner = points.get(0);
      for (long[] p : points) {
        if (p[0] >= position) {
          owner = p;
          break;
        }
      }
      assertEquals(sorted.get((int) owner[1]), ring.owner(key));
    }
  }

  @Test
  void ownerOfAKeyIsOwnerOfItsHash() {
    HashRing ring = HashRing.of(List.of("a", "b", "c"));
    for (Object key : List.of("k", 1, 2L, new byte[] {9})) {
      assertEquals(ring.owner(KeyHash.hash(key)), ring.owner(key));
    }
  }

  @Test
  void extremeHashesWrapAroundTheRing() {
    HashRing ring = HashRing.of(List.of("a", "b", "c"), 4);
    // Above the highest point a key wraps to the lowest point's owner, as 0 does.
    assertEquals(ring.owner(0L), ring.owner(-1L));
    assertTrue(ring.members().contains(ring.owner(Long.MIN_VALUE)));
    assertTrue(ring.members().contains(ring.owner(Long.MAX_VALUE)));
  }

  @Test
  void oneNodeOwnsEverything() {
    HashRing ring = HashRing.of(List.of("solo"), 1);
    for (long key : keyHashes(5, 1000)) {
      assertSame("solo", ring.owner(key));
    }
  }

  @Test
  void checksumIdentifiesMembersAndVnodes() {
    HashRing ring = HashRing.of(List.of("a", "b", "c"));
    assertEquals(ring.checksum(), HashRing.of(List.of("c", "a", "b", "a")).checksum());
    assertNotEquals(ring.checksum(), HashRing.of(List.of("a", "b")).checksum());
    assertNotEquals(ring.checksum(), HashRing.of(List.of("a", "b", "d")).checksum());
    assertNotEquals(ring.checksum(), HashRing.of(List.of("a", "b", "c"), 100).checksum());
    // Name boundaries are part of the checksum.
    assertNotEquals(HashRing.of(List.of("ab", "c")).checksum(), HashRing.of(List.of("a", "bc")).checksum());
    assertNotEquals(HashRing.of(List.of()).checksum(), ring.checksum());
  }

  @Test
  void checksumIsPinned() {
    // Changes only with the documented format.
    assertEquals(KeyHash.hash("cloister-ring/1;100;1:a;1:b"), HashRing.of(List.of("b", "a"), 100).checksum());
    // Computed with xxhsum -H1 over the tag byte 0x01 and that text.
    assertEquals(0xAA21041582AAF260L, HashRing.of(List.of("b", "a"), 100).checksum());
  }

  @Test
  void emptyRingHasNoOwner() {
    HashRing ring = HashRing.of(List.of());
    assertTrue(ring.isEmpty());
    assertEquals(0, ring.size());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ring.owner("key"));
    assertEquals("ring is empty", e.getMessage());
  }

  @Test
  void invalidArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> HashRing.of(List.of("a"), 0));
    assertThrows(IllegalArgumentException.class, () -> HashRing.of(List.of("a"), HashRing.MAX_VNODES + 1));
    List<String> withNull = new ArrayList<>();
    withNull.add(null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HashRing.of(withNull, 8));
    assertEquals("member name must not be null", e.getMessage());
    HashRing ring = HashRing.of(List.of("a"));
    assertEquals("key must not be null",
      assertThrows(IllegalArgumentException.class, () -> ring.owner((Object) null)).getMessage());
  }
}
