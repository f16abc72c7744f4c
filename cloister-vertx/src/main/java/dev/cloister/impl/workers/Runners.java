package dev.cloister.impl.workers;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys running (or starting, or leaving) on this node, by key and by cell: a change of a
 * cell's lease checks only the runners of that cell. Confined to the set's context.
 */
final class Runners {

  private final Map<String, KeyRunner> byKey = new HashMap<>();
  private final Map<Integer, List<KeyRunner>> byCell = new HashMap<>();
  /** Stopped keys whose last write (a carried payload, a removal) has not landed yet, by cell. */
  private final Map<Integer, List<KeyRunner>> settling = new HashMap<>();

  KeyRunner get(String key) {
    return byKey.get(key);
  }

  boolean containsKey(String key) {
    return byKey.containsKey(key);
  }

  void put(KeyRunner r) {
    KeyRunner before = byKey.put(r.key, r);
    if (before != null) {
      unlist(byCell, before);
    }
    byCell.computeIfAbsent(r.cell(), c -> new ArrayList<>(4)).add(r);
  }

  /** Removes a runner if it is still the one running its key. */
  void remove(KeyRunner r) {
    if (byKey.remove(r.key, r)) {
      unlist(byCell, r);
    }
  }

  private static void unlist(Map<Integer, List<KeyRunner>> lists, KeyRunner r) {
    List<KeyRunner> in = lists.get(r.cell());
    if (in != null) {
      in.remove(r);
      if (in.isEmpty()) {
        lists.remove(r.cell());
      }
    }
  }

  /** @return the runners of a cell (live: copy it before changing the runners) */
  List<KeyRunner> inCell(int cell) {
    return byCell.getOrDefault(cell, List.of());
  }

  /** Notes a stopped key whose last write is under way: its position stays held until {@link #settled}. */
  void settling(KeyRunner r) {
    settling.computeIfAbsent(r.cell(), c -> new ArrayList<>(2)).add(r);
  }

  /** The last write of a key noted by {@link #settling} landed (or failed). */
  void settled(KeyRunner r) {
    unlist(settling, r);
  }

  /** @return the keys of a cell noted by {@link #settling} */
  List<KeyRunner> settlingIn(int cell) {
    return settling.getOrDefault(cell, List.of());
  }

  /**
   * @return every runner, a cell's together and the cells in order: handed off in this order, the
   *     keys of a cell stop close together and the cell is freed once
   */
  List<KeyRunner> byCell() {
    List<KeyRunner> out = new ArrayList<>(byKey.size());
    for (int cell = 0; cell < CellLease.CELLS; cell++) {
      List<KeyRunner> in = byCell.get(cell);
      if (in != null) {
        out.addAll(in);
      }
    }
    return out;
  }

  Collection<KeyRunner> values() {
    return byKey.values();
  }

  boolean isEmpty() {
    return byKey.isEmpty();
  }

  int size() {
    return byKey.size();
  }
}
