package dev.cloister.impl.workers;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * This node's writes of cell leases: one write of a cell at a time, each a conditional replace of
 * the value seen, so that nodes that disagree serialise on the cell. The changes asked for while a
 * cell's write is under way are applied together, in order, to the value it leaves, in one more
 * write. A refused write (another node wrote the cell meanwhile, or this replica was stale) is
 * decided again on the value the cell now has. Every value written is unique (the writer and its
 * count), so a conditional replace never succeeds on a value that came back. Confined to the set's
 * context.
 */
final class CellWrites {

  /** How often a change is decided again after a refused write before it fails. */
  static final int ATTEMPTS = 8;

  private final SetState set;
  private final Map<Integer, ArrayDeque<Change>> queued = new HashMap<>();
  private final Set<Integer> writing = new HashSet<>();
  /**
   * Cells whose last write failed with an unknown outcome (a timeout): it may still land later.
   * The next write of such a cell goes out even when it changes nothing, so that a late landing
   * of the old one, a conditional replace of a value that is then gone, can no longer succeed;
   * until then the cell counts as {@link #busy}.
   */
  private final Set<Integer> uncertain = new HashSet<>();
  /** Numbers this node's writes, so that no two writes of a cell leave the same value. */
  private long written;

  private record Change(UnaryOperator<CellLease> change, Promise<CellLease> done) {
  }

  CellWrites(SetState set) {
    this.set = set;
  }

  /**
   * Changes a cell's lease: {@code change} gets the lease as it stands when its write is decided
   * (on this context, perhaps more than once: it must only decide, not act) and returns the lease
   * wanted, or the same segments for no write.
   *
   * @param cell the cell
   * @param change from the current lease to the wanted one
   * @return the cell's lease once the write landed (or nothing was to be written)
   */
  Future<CellLease> update(int cell, UnaryOperator<CellLease> change) {
    Promise<CellLease> done = set.context.promise();
    queued.computeIfAbsent(cell, c -> new ArrayDeque<>(2)).add(new Change(change, done));
    if (!writing.contains(cell)) {
      write(cell, set.store.cell(cell), 0);
    }
    return done.future();
  }

  /**
   * @param cell a cell
   * @return whether a change of the cell is queued, being written, or its last write's outcome is
   *     unknown: its lease in the replica may be about to change (a release decided on the ring
   *     before the last change, say)
   */
  boolean busy(int cell) {
    return writing.contains(cell) || queued.containsKey(cell) || uncertain.contains(cell);
  }

  /** @return whether no write of a cell is queued or under way */
  boolean idle() {
    return writing.isEmpty() && queued.isEmpty();
  }

  private void write(int cell, String seen, int attempt) {
    ArrayDeque<Change> q = queued.remove(cell);
    if (q == null) {
      writing.remove(cell);
      set.writesChanged();
      return;
    }
    writing.add(cell);
    List<Change> batch = new ArrayList<>(q);
    CellLease before = CellLease.decode(cell, seen);
    CellLease after = before;
    try {
      for (Change c : batch) {
        after = c.change().apply(after);
      }
    } catch (RuntimeException e) {
      batch.forEach(c -> c.done().tryFail(e));
      write(cell, set.store.cell(cell), 0);
      return;
    }
    if (after.sameSegments(before) && !uncertain.contains(cell)) {
      CellLease same = before;
      batch.forEach(c -> c.done().tryComplete(same));
      write(cell, set.store.cell(cell), 0);
      return;
    }
    String next = after.writtenBy(set.selfId + "/" + Long.toString(++written, 36)).encode();
    CellLease landed = after;
    set.write(() -> set.store.replaceCell(cell, seen, next)).onComplete((ok, err) -> {
      // Written or refused, the value this node saw is gone: a write of it still on its way fails.
      if (err == null) {
        uncertain.remove(cell);
      } else {
        uncertain.add(cell);
      }
      if (err == null && ok) {
        batch.forEach(c -> c.done().tryComplete(landed));
        write(cell, next, 0);
        return;
      }
      if (attempt + 1 >= ATTEMPTS) {
        Throwable why = err != null ? err : new IllegalStateException("cell " + cell + " was written by others "
          + ATTEMPTS + " times in a row");
        batch.forEach(c -> c.done().tryFail(why));
        write(cell, set.store.cell(cell), 0);
        return;
      }
      // Decided again, first among the changes of the cell: on the value this replica holds now if
      // it changed (the write that won is replicated here before it completes), else on the
      // primary copy's (this replica is stale).
      ArrayDeque<Change> again = queued.computeIfAbsent(cell, c -> new ArrayDeque<>(batch.size()));
      for (int i = batch.size() - 1; i >= 0; i--) {
        again.addFirst(batch.get(i));
      }
      String local = set.store.cell(cell);
      if (err == null && !Objects.equals(local, seen)) {
        write(cell, local, attempt + 1);
        return;
      }
      set.context.executeBlocking(() -> set.store.primaryCell(cell), false).onComplete((fresh, e2) ->
        write(cell, e2 == null ? fresh : set.store.cell(cell), attempt + 1));
    });
  }
}
