package dev.cloister.impl.workers;

import dev.cloister.impl.ring.HashRing;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A cell's lease: its segments, their stored form, and the ring's runs they follow. */
class CellLeaseTest {

  private static final Lease A = new Lease("node-a", "t1", false);
  private static final Lease B = new Lease("node-b", "t2", false);

  @Test
  void aCellNeverWrittenIsFreeEverywhere() {
    CellLease free = CellLease.decode(7, null);
    assertNull(free.at(CellLease.first(7)));
    assertNull(free.at(CellLease.last(7)));
    assertEquals("|-", free.encode());
  }

  @Test
  void changingARangeSplitsTheSegmentsAroundItAndMergesEqualNeighbours() {
    int cell = 3;
    long first = CellLease.first(cell);
    CellLease c = CellLease.free(cell).with(first + 10, first + 19, l -> A);
    assertNull(c.at(first + 9));
    assertEquals(A, c.at(first + 10));
    assertEquals(A, c.at(first + 19));
    assertNull(c.at(first + 20));
    CellLease joined = c.with(first + 20, first + 29, l -> A);
    assertEquals(A, joined.at(first + 25));
    assertEquals(3, joined.segments(), "the two held ranges became one segment: " + joined);
    CellLease marked = joined.with(first + 15, first + 15, l -> l == null ? null : l.handingOff());
    assertTrue(marked.at(first + 15).moving());
    assertEquals(A, marked.at(first + 14));
    assertEquals(A, marked.at(first + 16));
    CellLease freed = marked.with(CellLease.first(cell), CellLease.last(cell), l -> null);
    assertEquals(1, freed.segments());
  }

  @Test
  void theStoredFormReadsBackAsTheSameSegmentsAndWriter() {
    int cell = CellLease.CELLS - 1;
    long first = CellLease.first(cell);
    CellLease c = CellLease.free(cell).with(first, first + 1000, l -> A)
      .with(first + 5000, CellLease.last(cell), l -> B)
      .with(first + 7000, first + 7000, l -> l.handingOff()).writtenBy("node-b/7");
    CellLease back = CellLease.decode(cell, c.encode());
    assertTrue(back.sameSegments(c), back + " against " + c);
    assertEquals("node-b/7", back.writer);
    assertEquals(c.encode(), back.encode());
  }

  @Test
  void anUnreadableValueIsOneSegmentOfAHolderNobodySees() {
    String[] unreadable = {"", "no bar", "w|zz", "w|5=h:t:n;3=-;-", "w|!=-;-", "w|zzzzzzzzzzzzzz=-;-", "w|-;-;",
      "w|q:t:n"};
    for (String bad : unreadable) {
      Lease l = CellLease.decode(1, bad).at(CellLease.first(1));
      assertEquals("?", l.nodeId(), "'" + bad + "'");
      assertEquals("?", CellLease.decode(1, bad).at(CellLease.last(1)).nodeId(), "'" + bad + "'");
    }
  }

  @Test
  void theRingsRunsOverACellAgreeWithItsOwnerOfEachPosition() {
    HashRing ring = HashRing.of(List.of("n1", "n2", "n3"));
    Random random = new Random(42);
    for (int t = 0; t < 200; t++) {
      int cell = random.nextInt(CellLease.CELLS);
      long first = CellLease.first(cell);
      List<long[]> runs = new ArrayList<>();
      List<String> owners = new ArrayList<>();
      long[] from = {first};
      ring.runs(first, CellLease.last(cell), (last, owner) -> {
        runs.add(new long[] {from[0], last});
        owners.add(owner);
        from[0] = last + 1;
      });
      assertEquals(CellLease.last(cell) + 1, from[0], "the runs cover the cell");
      for (int i = 0; i < runs.size(); i++) {
        long[] run = runs.get(i);
        assertEquals(owners.get(i), ring.owner(run[0] << 16), "run start");
        assertEquals(owners.get(i), ring.owner(run[1] << 16), "run end");
        long inside = run[0] + (long) (random.nextDouble() * (run[1] - run[0]));
        assertEquals(owners.get(i), ring.owner(inside << 16), "inside a run");
        if (i > 0) {
          assertTrue(!owners.get(i).equals(owners.get(i - 1)), "neighbouring runs have different owners");
        }
      }
    }
  }

  @Test
  void aKeysPositionIsTheOneItsOwnerIsFoundBy() {
    HashRing ring = HashRing.of(List.of("n1", "n2", "n3"));
    for (int i = 0; i < 1000; i++) {
      String key = "key-" + i;
      assertEquals(ring.owner(key), ring.owner(CellLease.position(key) << 16), key);
    }
  }
}
