package dev.cloister.impl.workers;

import dev.cloister.ShardedWorkers;
import dev.cloister.impl.ring.HashRing;
import io.vertx.core.AsyncResult;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes the cell leases of the keys this node owns and starts those keys: a key whose position
 * falls in a segment this node holds starts at once, without a write; for the others it queues the
 * key's cell, takes every part of the cell it owns that {@link LeaseRules} allow (one write of the
 * cell), starts the keys now covered, and looks again later for the rest. Started keys go to
 * {@link RunningKeys}. Confined to the set's context.
 */
final class LeaseTaker {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);
  /** Cells whose take is under way at most. */
  static final int TAKES_IN_FLIGHT = 256;

  private final SetState set;
  private final RunningKeys keys;
  private final Map<Integer, Pending> pending = new HashMap<>();
  private final ArrayDeque<Integer> ready = new ArrayDeque<>();
  private int taking;
  /** Whether a pass over the ready cells is scheduled. */
  private boolean pumping;
  /**
   * Whether a pass is under way: a take with nothing to write completes at once, and its pass
   * must not start another inside itself (thousands of such cells overflowed the stack).
   */
  private boolean inPump;

  /** A cell with keys this node owns and waits to start. */
  private static final class Pending {
    final Set<String> keys = new HashSet<>();
    /** When this node first saw each lease (stored form, "" for free) it waits for in the cell. */
    Map<String, Long> seen = Map.of();
    long timer = -1;
    boolean queued;
    /** The set's ring when the cell's last take decided: it decided on every position this node owned in it. */
    HashRing decidedWith;
    /** Whether a take of the cell is under way, and whether it is asked for again meanwhile. */
    boolean busy;
    boolean again;
  }

  LeaseTaker(SetState set, RunningKeys keys) {
    this.set = set;
    this.keys = keys;
  }

  /**
   * Starts a key this node owns, at once if this node holds its segment, or queues its cell; unless
   * it runs or waits already.
   *
   * @param key the key
   * @return whether it started or was queued now
   */
  boolean want(String key) {
    return want(key, CellLease.position(key));
  }

  /**
   * {@link #want(String)} for a key whose position the caller has already.
   *
   * @param key the key
   * @param position its position (see {@link CellLease#position})
   * @return whether it started or was queued now
   */
  boolean want(String key, long position) {
    if (set.runners.containsKey(key)) {
      return false;
    }
    int cell = CellLease.cellOf(position);
    Pending p = pending.get(cell);
    if (p != null) {
      if (!p.keys.add(key)) {
        return false;
      }
      if (p.decidedWith != set.ring) {
        enqueue(cell, p); // a take on this ring decides on the key's position
      } else if (!p.busy && !p.queued && startsAtOnce(cell, position)) {
        // The cell's last take decided on the key's position already: it waits for what that take
        // waits for (a lease's change, or the retry it set), unless its segment is held here.
        p.keys.remove(key);
        return begin(key, position);
      }
      return true;
    }
    if (startsAtOnce(cell, position)) {
      return begin(key, position);
    }
    p = new Pending();
    p.keys.add(key);
    pending.put(cell, p);
    enqueue(cell, p);
    return true;
  }

  /**
   * Whether a key at a position of a cell starts without a write: this node holds its segment and
   * no change of the cell is under way (a release decided on the ring before the last change may be
   * about to free the segment; a take goes after it).
   */
  private boolean startsAtOnce(int cell, long position) {
    Lease lease = set.cellLease(cell).at(position);
    return set.ours(lease) && !lease.moving() && set.quorate && !set.closing && !set.cells.busy(cell);
  }

  /**
   * Starts a key with its stored payload.
   *
   * @return false when it has none (deleted)
   */
  private boolean begin(String key, long position) {
    String payload = set.store.payload(key);
    if (payload == null) {
      return false;
    }
    keys.begin(key, position, payload);
    return true;
  }

  private void enqueue(int cell, Pending p) {
    if (p.busy) {
      p.again = true;
      return;
    }
    if (p.timer >= 0) {
      set.vertx.cancelTimer(p.timer);
      p.timer = -1;
    }
    if (!p.queued) {
      p.queued = true;
      ready.add(cell);
    }
    if (!pumping) {
      pumping = true;
      set.context.runOnContext(v -> pump());
    }
  }

  private void pump() {
    pumping = false;
    if (inPump) {
      return; // a take that needed no write completed within the loop below, which goes on
    }
    inPump = true;
    try {
      while (set.quorate && !set.closing && taking < TAKES_IN_FLIGHT && !ready.isEmpty()) {
        int cell = ready.poll();
        Pending p = pending.get(cell);
        if (p != null && p.queued) {
          p.queued = false;
          take(cell, p);
        }
      }
    } finally {
      inPump = false;
    }
  }

  private void take(int cell, Pending p) {
    p.busy = true;
    p.decidedWith = set.ring;
    taking++;
    long[] notBefore = {Long.MAX_VALUE};
    set.cells.update(cell, cur -> decide(cell, cur, p, notBefore)).onComplete(ar -> {
      taking--;
      p.busy = false;
      afterTake(cell, p, ar, notBefore[0]);
      pump();
    });
  }

  /** The cell with every part this node owns taken where the rules allow; notes when to look again. */
  private CellLease decide(int cell, CellLease cur, Pending p, long[] notBefore) {
    notBefore[0] = Long.MAX_VALUE;
    List<long[]> own = set.owned(cell);
    if (own.isEmpty()) {
      return cur;
    }
    long now = SetState.now();
    Set<String> view = set.store.view();
    Map<String, Long> seen = new HashMap<>();
    Lease mine = set.ownLease();
    CellLease out = cur;
    for (long[] range : own) {
      out = out.with(range[0], range[1], lease -> {
        if (set.ours(lease)) {
          return lease; // a mark stays until the keys of the segment stopped
        }
        String text = lease == null ? "" : lease.encode();
        long since = p.seen.getOrDefault(text, now);
        seen.put(text, since);
        long gone = lease == null ? -1 : set.goneAt.getOrDefault(lease.nodeId(), -1L);
        long wrote = lease == null ? -1 : set.store.holderWroteAt(lease.nodeId());
        boolean closed = lease != null && !set.ours(lease) && set.store.closedWith(lease);
        LeaseRules.Decision d = LeaseRules.decide(lease, set.selfId, set.token,
          lease != null && view.contains(lease.nodeId()), closed, gone, wrote, since, now, set.timeouts);
        if (d.take()) {
          return mine;
        }
        notBefore[0] = Math.min(notBefore[0], d.notBefore());
        return lease;
      });
    }
    p.seen = seen;
    return out;
  }

  /** Starts the keys of the cell this node now holds; waits for the others. */
  private void afterTake(int cell, Pending p, AsyncResult<CellLease> ar, long notBefore) {
    if (pending.get(cell) != p) {
      return; // dropped meanwhile (quorum lost, closing)
    }
    if (ar.failed()) {
      log.debug("Worker set '" + set.name + "': a write of cell " + cell + "'s lease failed: " + ar.cause());
      retryLater(cell, p, WorkerSet.RETRY_MS * 10);
      return;
    }
    CellLease now = ar.result();
    boolean canRun = set.quorate && !set.closing;
    for (Iterator<String> it = p.keys.iterator(); canRun && it.hasNext(); ) {
      String key = it.next();
      long position = CellLease.position(key);
      if (set.runners.containsKey(key) || !set.mineAt(position)) {
        it.remove();
        continue;
      }
      Lease lease = now.at(position);
      if (!set.ours(lease) || lease.moving()) {
        continue; // waits for its segment
      }
      it.remove();
      begin(key, position);
    }
    if (p.keys.isEmpty()) {
      pending.remove(cell);
      return;
    }
    if (p.again) {
      p.again = false;
      enqueue(cell, p);
      return;
    }
    long delay = notBefore == Long.MAX_VALUE ? WorkerSet.RETRY_MS * 10 : Math.max(1, notBefore - SetState.now());
    retryLater(cell, p, delay);
  }

  private void retryLater(int cell, Pending p, long delay) {
    if (p.queued || p.busy) {
      return;
    }
    if (p.timer >= 0) {
      set.vertx.cancelTimer(p.timer);
    }
    p.timer = set.context.setTimer(delay, id -> {
      p.timer = -1;
      if (pending.get(cell) == p) {
        enqueue(cell, p);
      }
    });
  }

  /**
   * Looks again soon at a cell with waiting keys, after its lease changed.
   *
   * @param cell the cell
   */
  void nudge(int cell) {
    Pending p = pending.get(cell);
    if (p != null && set.quorate && !set.closing) {
      enqueue(cell, p);
    }
  }

  /** Looks again soon at every cell with waiting keys (a set that held segments closed). */
  void nudgeAll() {
    pending.keySet().forEach(this::nudge); // a nudge only queues: the map stays as it is
  }

  /**
   * Stops waiting for a key (it was deleted).
   *
   * @param key the key
   */
  void drop(String key) {
    int cell = CellLease.cellOf(CellLease.position(key));
    Pending p = pending.get(cell);
    if (p != null && p.keys.remove(key) && p.keys.isEmpty() && !p.busy) {
      pending.remove(cell);
      if (p.timer >= 0) {
        set.vertx.cancelTimer(p.timer);
      }
    }
  }

  /** Stops waiting for every key: quorum lost, or the set closing. */
  void clear() {
    for (Pending p : pending.values()) {
      if (p.timer >= 0) {
        set.vertx.cancelTimer(p.timer);
      }
    }
    pending.clear();
    ready.clear();
  }

  /**
   * Whether any key waits for its lease.
   *
   * @return true when none does
   */
  boolean isEmpty() {
    return pending.isEmpty();
  }
}
