package dev.cloister.impl.ring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ring rebuilt from a previous ring is the ring built from scratch: the same members, checksum,
 * points and bucket index, whoever joined or left, wherever their names sort, and where points of
 * two members share a position.
 */
class RingRebuildTest {

  /**
   * Seven pairs of names, each pair with a point at the same position at 4096 vnodes (found by
   * searching the names {@code tie-0} to {@code tie-16383}); tie-2396 and tie-12622 already at 689.
   */
  private static final List<String> TIES = List.of("tie-7319", "tie-7358", "tie-10711", "tie-13994",
    "tie-9771", "tie-12787", "tie-745", "tie-6135", "tie-2396", "tie-12622", "tie-9293", "tie-9598",
    "tie-8193", "tie-15624");

  /** Names that sort before and after any other. */
  private static final List<String> EDGES = List.of("", "\u0000", "\uffff", "\uffff\uffff");

  private static final int[] VNODES = {1, 2, 3, 16, 100, 256, 689, 1024, 4096};

  private static void assertSameRing(HashRing expected, HashRing actual) {
    assertEquals(expected, actual);
    assertEquals(expected.checksum(), actual.checksum());
    assertArrayEquals(expected.points(), actual.points(), () -> "points of " + expected);
    assertArrayEquals(expected.buckets(), actual.buckets(), () -> "buckets of " + expected);
  }

  /** The merge's points, whatever its cost beside a full build; the sentinel is the ring's to write. */
  private static void assertMergeBuilds(HashRing previous, List<String> next) {
    HashRing expected = HashRing.of(next, previous.vnodes());
    String[] from = previous.members().toArray(new String[0]);
    String[] to = expected.members().toArray(new String[0]);
    int[] buckets = new int[expected.buckets().length];
    long[] points = PointMerge.between(from, to).points(previous.points(), previous.buckets(), previous.vnodes(), buckets);
    long[] withoutSentinel = Arrays.copyOf(expected.points(), expected.points().length);
    withoutSentinel[withoutSentinel.length - 1] = 0;
    assertArrayEquals(withoutSentinel, points, () -> previous.members() + " -> " + next);
    assertArrayEquals(expected.buckets(), buckets, () -> previous.members() + " -> " + next);
  }

  /** Members changed by one to three joins and leaves, of random names, edge names and tie partners. */
  private static List<String> change(Random random, List<String> members) {
    List<String> next = new ArrayList<>(members);
    int changes = 1 + random.nextInt(3);
    for (int c = 0; c < changes; c++) {
      if (!next.isEmpty() && random.nextBoolean()) {
        next.remove(random.nextInt(next.size()));
      } else {
        int kind = random.nextInt(3);
        next.add(kind == 0 ? EDGES.get(random.nextInt(EDGES.size()))
          : kind == 1 ? TIES.get(random.nextInt(TIES.size()))
          : RingLayoutTest.randomNames(random, 1).get(0));
      }
    }
    return new ArrayList<>(new TreeSet<>(next));
  }

  private static List<String> randomMembers(Random random, int size) {
    List<String> members = RingLayoutTest.randomNames(random, size);
    for (List<String> special : List.of(TIES, EDGES)) {
      for (String name : special) {
        if (random.nextInt(4) == 0) {
          members.add(name);
        }
      }
    }
    return members;
  }

  @Test
  void theTieNamesShareAPosition() {
    HashRing ring = HashRing.of(List.of("tie-2396", "tie-12622"), 689);
    long[] points = ring.points();
    int ties = 0;
    for (int i = 1; i + 1 < points.length; i++) {
      if (points[i] >>> 16 == points[i - 1] >>> 16) {
        ties++;
        // The name that sorts first owns the position: its point comes first.
        assertTrue((points[i - 1] & 0xFFFF) < (points[i] & 0xFFFF));
      }
    }
    assertEquals(1, ties);
    RingLayoutTest.assertLayout(TIES, 4096, HashRing.of(TIES, 4096));
  }

  @Test
  void aJoinerThatTiesWithAMemberWhoseIndexMovesPastItsOwn() {
    // tie-12622 sorts before tie-2396, so it owns their shared position in every ring of both.
    HashRing dropping = HashRing.of(List.of("a-1", "a-2", "a-3", "tie-12622"), 689);
    assertMergeBuilds(dropping, List.of("tie-12622", "tie-2396"));
    HashRing rising = HashRing.of(List.of("tie-2396"), 689);
    assertMergeBuilds(rising, List.of("a-1", "a-2", "tie-12622", "tie-2396"));
  }

  @Test
  void mergingJoinsAndLeavesGivesThePointsOfAFullBuild() {
    Random random = new Random(21);
    for (int round = 0; round < 300; round++) {
      int vnodes = VNODES[random.nextInt(VNODES.length)];
      List<String> members = randomMembers(random, 1 + random.nextInt(round < 250 ? 30 : 300));
      HashRing previous = HashRing.of(members, vnodes);
      List<String> next = change(random, previous.members());
      if (!next.isEmpty()) {
        assertMergeBuilds(previous, next);
      }
    }
  }

  @Test
  void rebuildingGivesTheRingOfTheNewMembers() {
    Random random = new Random(22);
    for (int round = 0; round < 200; round++) {
      int vnodes = VNODES[random.nextInt(VNODES.length)];
      HashRing previous = HashRing.of(randomMembers(random, random.nextInt(round < 150 ? 20 : 200)), vnodes);
      List<String> next = change(random, previous.members());
      assertSameRing(HashRing.of(next, vnodes), previous.rebuild(next));
    }
  }

  @Test
  void aLongChainOfRebuildsStaysTheRingOfItsMembers() {
    Random random = new Random(23);
    for (int vnodes : new int[] {7, 1024}) {
      List<String> members = RingLayoutTest.randomNames(random, 40);
      members.addAll(TIES);
      HashRing ring = HashRing.of(members, vnodes);
      for (int step = 0; step < 60; step++) {
        List<String> next = new ArrayList<>(ring.members());
        if (random.nextBoolean()) {
          next.remove(random.nextInt(next.size()));
        } else {
          next.add(random.nextInt(5) == 0 ? EDGES.get(random.nextInt(EDGES.size()))
            : RingLayoutTest.randomNames(random, 1).get(0));
        }
        ring = ring.rebuild(next);
        assertSameRing(HashRing.of(next, vnodes), ring);
      }
    }
  }

  @Test
  void aThousandMembersRebuildAfterAJoinOrALeaveAnywhereInTheOrder() {
    List<String> members = RingMembers.named(1000);
    HashRing ring = HashRing.of(members);
    for (String joiner : List.of("", "cloister-node-500@10.0.0.1", "\uffff")) {
      List<String> more = new ArrayList<>(members);
      more.add(joiner);
      assertSameRing(HashRing.of(more), ring.rebuild(more));
    }
    for (int leaver : new int[] {0, 500, 999}) {
      List<String> fewer = new ArrayList<>(ring.members());
      fewer.remove(leaver);
      assertSameRing(HashRing.of(fewer), ring.rebuild(fewer));
    }
  }

  @Test
  void emptyAndUnchangedRingsRebuildToo() {
    HashRing empty = HashRing.of(List.of(), 16);
    HashRing one = empty.rebuild(List.of("a"));
    assertSameRing(HashRing.of(List.of("a"), 16), one);
    assertSameRing(empty, one.rebuild(List.of()));
    assertSame(one, one.rebuild(List.of("a", "a")));
    assertThrows(IllegalArgumentException.class, () -> one.rebuild(Arrays.asList("b", null)));
  }
}
