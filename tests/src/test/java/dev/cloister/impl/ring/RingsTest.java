package dev.cloister.impl.ring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A rehash keeps the rings of unchanged groups and derives the others from their previous ring. */
class RingsTest {

  private static List<String> names(int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(String.format("node%04d", i));
    }
    return out;
  }

  @Test
  void aJoinInOneGroupRebuildsOnlyThatGroupsRingAsABuildFromScratchWould() {
    Rings before = Rings.EMPTY.next(Map.of("g", names(0, 40), "h", names(0, 3)), 256);
    List<String> joined = names(0, 41);
    Rings after = before.next(Map.of("g", joined, "h", names(0, 3)), 256);
    HashRing expected = HashRing.of(joined, 256);
    assertEquals(expected, after.group("g").ring());
    assertArrayEquals(expected.points(), after.group("g").ring().points());
    assertArrayEquals(expected.buckets(), after.group("g").ring().buckets());
    assertEquals(2, after.group("g").version());
    assertSame(before.group("h"), after.group("h"));
  }

  @Test
  void aLeaveAndANewVnodesGiveTheRingsOfTheNewMembers() {
    Rings before = Rings.EMPTY.next(Map.of("g", names(0, 40)), 256);
    Rings left = before.next(Map.of("g", names(1, 40)), 256);
    assertEquals(HashRing.of(names(1, 40), 256), left.group("g").ring());
    assertArrayEquals(HashRing.of(names(1, 40), 256).points(), left.group("g").ring().points());
    Rings resized = left.next(Map.of("g", names(1, 40)), 64);
    assertEquals(HashRing.of(names(1, 40), 64), resized.group("g").ring());
    assertEquals(3, resized.group("g").version());
  }
}
