package dev.cloister.impl.workers;

import dev.cloister.CloisterException;
import dev.cloister.ShardedWorkers;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.impl.CloisterImpl;
import dev.cloister.impl.metrics.WorkerMetrics;
import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.transport.BlockingPools;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.WorkerPool;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the parts of one worker set share: its settings, the node's Cloister, the key store, the
 * keys running here, and the set's view of quorum and of its ring, with the small helpers they all
 * use (the owner of a key, chunked loops, futures brought back to the set's context).
 *
 * <p>Confined to the set's event-loop context, except where a field says otherwise.
 */
final class SetState {

  /** Key-store writes a set has in flight at most (stored outcomes, hand-offs, cell leases). */
  static final int WRITES_IN_FLIGHT = 256;
  /** The least time between two reports of failed writes, ms. */
  static final long WRITE_FAILURE_LOG_MS = 5_000;

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);

  final VertxInternal vertx;
  /** The workers' own threads (see {@link BlockingPools}), which the set's context blocks on. */
  private final WorkerPool pool;
  final ContextInternal context;
  final String name;
  final WorkersOptions options;
  final LeaseRules.Timeouts timeouts;
  final Worker worker;
  final CloisterImpl cloister;
  final String group;
  /** The keys running here; read from any thread. */
  final Set<String> localKeys = ConcurrentHashMap.newKeySet();
  /** When this node saw each node id leave the view (ms); written on Infinispan's thread. */
  final Map<String, Long> goneAt = new ConcurrentHashMap<>();
  final Runners runners = new Runners();
  /** With tick 0: keys written while not running here, whose start is followed by one perform. */
  final Set<String> performAfterStart = new HashSet<>();
  final WorkerMetrics metrics;
  KeyStore store;
  String selfId;
  /** This node's writes of cell leases. Context only. */
  final CellWrites cells = new CellWrites(this);
  /**
   * The token of the leases this node takes while quorate this time: a new one after each quorum
   * loss, so that its segments from before count as left behind (see {@link LeaseRules}).
   */
  volatile String token = Lease.freshToken();
  volatile boolean quorate;
  volatile boolean closing;
  /** The set's ring: the group's ring of the members that run the set; null while none does. */
  volatile HashRing ring;
  /** What this node announced (the lease it would hold, as stored), or null before it did. Context only. */
  String announcedAs;
  /**
   * The participants other than this node, by name, as the leases they would hold (their node id
   * and current token): where this node frees a part that the ring gives one of them, it hands the
   * part to it in the same write instead (see {@link #release}). Read from the replica with each
   * ring built, and changed by each announcement's event, a withdrawal at once. Context only.
   */
  Map<String, Lease> heirs = Map.of();
  /** While closing: the set's ring without this node, whose owners inherit what it frees. Context only. */
  HashRing heirRing;
  /** Bumped by every rebalance, quorum loss and close; older rebalances stop when it moved on. */
  int generation;
  /** Scans of the replica (rebalances, sweeps) under way. Context only. */
  int scans;
  /**
   * The ring whose rebalance last found every key this node owns in it (its scan asked for each
   * that did not run here), or null. Context only.
   */
  HashRing scannedFor;
  /** The timer of the periodic sweep, or -1. Context only. */
  long sweepTimer = -1;
  /** Other owners' keys the last sweep found without a lease in this replica. Context only. */
  Set<String> unleasedBefore = Set.of();
  /** The removal markers the last sweep found. */
  Set<String> markersBefore = Set.of();
  /**
   * When this node began to hold its keys through a wait for returning members' records
   * ({@link System#nanoTime()}), or -1. Context only.
   */
  long holdingSince = -1;
  /** The timer that re-checks a hold, or -1. Context only. */
  long holdTimer = -1;
  /** Writes of the key store issued and not completed. Context only. */
  private int writesInFlight;
  /** Writes of the key store waiting for their turn. Context only. */
  private final ArrayDeque<Runnable> writesWaiting = new ArrayDeque<>();
  /** The last cell leases decoded, and the stored values they came from. Context only. */
  private final CellLease[] decoded = new CellLease[CellLease.CELLS];
  private final String[] decodedFrom = new String[CellLease.CELLS];
  /** Who waits for the writes to be done. Context only. */
  private final List<Promise<Void>> drained = new ArrayList<>();
  /** Failed writes not reported yet, and when the last report went out (ms). Context only. */
  private int writeFailures;
  private Throwable lastWriteFailure;
  private long writeFailureLoggedAt = Long.MIN_VALUE / 2;

  SetState(VertxInternal vertx, String name, WorkersOptions options, long fence, Worker worker,
           CloisterImpl cloister) {
    this.vertx = vertx;
    this.pool = BlockingPools.workers(vertx);
    this.context = vertx.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).withWorkerPool(pool).build();
    this.name = name;
    this.options = options;
    this.timeouts = new LeaseRules.Timeouts(fence, options.getPerformTimeout(), options.getHandoffTimeout());
    this.worker = worker;
    this.cloister = cloister;
    this.group = options.getGroup() != null ? options.getGroup() : cloister.group();
    this.metrics = WorkerMetrics.of(vertx, name, localKeys::size);
  }

  /** Lets go of the workers' pool: the set is closed (the pool goes once no set uses it). */
  void releasePool() {
    pool.close();
  }

  static long now() {
    return System.nanoTime() / 1_000_000L;
  }

  String self() {
    return cloister.nodeName();
  }

  boolean mine(String key) {
    return mineAt(CellLease.position(key));
  }

  /** @return whether this node owns the keys at a position (see {@link CellLease#position}) in the set's ring */
  boolean mineAt(long position) {
    HashRing r = ring;
    String me = self();
    return r != null && me != null && me.equals(r.owner(position << 16));
  }

  /**
   * The node that owns a key in the set's ring.
   *
   * @param key the key
   * @return the owner's name
   * @throws CloisterException when the set has no ring on this node
   */
  String ownerOf(String key) {
    KeyRules.key(key);
    HashRing r = ring;
    if (r == null) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + name + "' has no ring on "
        + self() + ": not quorate yet, or no member of group '" + group + "' runs it");
    }
    return r.owner(key);
  }

  /** Runs {@code each} over {@code items}, {@link WorkerSet#CHUNK} per turn of the context. */
  <T> Future<Void> chunked(List<T> items, Consumer<T> each) {
    Promise<Void> done = context.promise();
    chunk(items, 0, each, done);
    return done.future();
  }

  private <T> void chunk(List<T> items, int from, Consumer<T> each, Promise<Void> done) {
    int to = Math.min(items.size(), from + WorkerSet.CHUNK);
    for (int i = from; i < to; i++) {
      try {
        each.accept(items.get(i));
      } catch (RuntimeException e) {
        log.warn("Worker set '" + name + "': " + e);
      }
    }
    if (to >= items.size()) {
      done.complete();
    } else {
      context.runOnContext(v -> chunk(items, to, each, done));
    }
  }

  /**
   * Issues a write of the key store from the set's context: at most {@link #WRITES_IN_FLIGHT} at
   * once, the others queued in order, each issued on a worker thread. Infinispan's asynchronous
   * writes can block their caller in JGroups' flow control when credits run out (measured: an event
   * loop blocked 7.5 s while a set of 250,000 keys handed them all off at once); a worker may wait
   * there, the event loop must not. Context only.
   *
   * @param write starts the write
   * @param <T> its result
   * @return its result, on the set's context
   */
  <T> Future<T> write(Supplier<CompletionStage<T>> write) {
    Promise<T> out = context.promise();
    writesWaiting.add(() -> {
      writesInFlight++;
      context.executeBlocking(write::get, false)
        .compose(stage -> Future.fromCompletionStage(stage, context))
        .onComplete(ar -> {
          writesInFlight--;
          if (ar.failed()) {
            writeFailed(ar.cause());
          }
          out.handle(ar);
          nextWrites();
        });
    });
    nextWrites();
    return out.future();
  }

  /**
   * Logs a failed write of the key store: the first at once, the ones after it counted and logged
   * together at most every {@link #WRITE_FAILURE_LOG_MS} (a node leaving can fail thousands).
   * Nothing else is done here: a key whose write failed is taken up again by the sweep. Context only.
   */
  private void writeFailed(Throwable cause) {
    writeFailures++;
    lastWriteFailure = cause;
    long wait = writeFailureLoggedAt + WRITE_FAILURE_LOG_MS - now();
    if (wait <= 0) {
      reportWriteFailures();
    } else if (writeFailures == 1) {
      context.setTimer(wait, id -> reportWriteFailures());
    }
  }

  private void reportWriteFailures() {
    if (writeFailures > 0) {
      log.warn("Worker set '" + name + "' on " + self() + ": " + writeFailures + " write(s) of its key store failed,"
        + " the last with " + lastWriteFailure + "; keys it leaves without a worker are taken up by the next sweep");
      writeFailures = 0;
      writeFailureLoggedAt = now();
    }
  }

  private void nextWrites() {
    while (writesInFlight < WRITES_IN_FLIGHT && !writesWaiting.isEmpty()) {
      writesWaiting.poll().run();
    }
    if (writesInFlight == 0 && writesWaiting.isEmpty() && cells.idle() && !drained.isEmpty()) {
      List<Promise<Void>> waiting = new ArrayList<>(drained);
      drained.clear();
      waiting.forEach(Promise::tryComplete);
    }
  }

  /**
   * A cell's lease as the local replica holds it, decoded once per value. Context only.
   *
   * @param cell the cell
   * @return the lease (all free when never written)
   */
  CellLease cellLease(int cell) {
    String value = store.cell(cell);
    CellLease known = decoded[cell];
    if (known != null && value == decodedFrom[cell]) {
      return known;
    }
    CellLease read = CellLease.decode(cell, value);
    decoded[cell] = read;
    decodedFrom[cell] = value;
    return read;
  }

  /** Checks whether a close waiting for the writes can go on: called when the cells' writes went idle. */
  void writesChanged() {
    nextWrites();
  }

  /** @return the lease this node takes now */
  Lease ownLease() {
    return new Lease(selfId, token, false);
  }

  /** @return whether a lease is this node's, taken while quorate this time */
  boolean ours(Lease lease) {
    return lease != null && lease.nodeId().equals(selfId) && lease.token().equals(token);
  }

  /**
   * The positions of a cell this node owns in the set's ring: none while it closes, is not quorate
   * or has no ring.
   *
   * @param cell the cell
   * @return the ranges, each its first and last position, in order
   */
  List<long[]> owned(int cell) {
    HashRing r = ring;
    String me = self();
    List<long[]> out = new ArrayList<>(2);
    if (r == null || r.isEmpty() || me == null || closing || !quorate) {
      return out;
    }
    long[] from = {CellLease.first(cell)};
    r.runs(CellLease.first(cell), CellLease.last(cell), (last, owner) -> {
      if (owner.equals(me)) {
        out.add(new long[] {from[0], last});
      }
      from[0] = last + 1;
    });
    return out;
  }

  /**
   * Marks this node's segment covering a leaving key as handing off (when its hand-off may take a
   * while). Context only.
   *
   * @param r the leaving key
   * @return completes once the mark landed
   */
  Future<CellLease> mark(KeyRunner r) {
    return cells.update(r.cell(), cur -> cur.with(r.position, r.position,
      l -> ours(l) && !l.moving() ? l.handingOff() : l));
  }

  /**
   * {@link #release Tidies} a cell unless a key of it is still on its way out here and not marked:
   * handing off, about to (it runs, and this node no longer owns its position: a rebalance's pass
   * has not come to it yet), or stopped with its last write under way. A hand-off of many keys of
   * a cell frees the cell once, with the last of them, instead of with each (an idle key's
   * hand-off ends within the pass that begins it, before the pass reaches the cell's next key:
   * each stop tidied the cell again, keeping every key still to come, thousands of times per
   * second at a million keys); a key whose hand-off is slow (marked) does not hold the others up,
   * its position alone stays held. Context only.
   *
   * @param cell the cell
   * @return completes once the cell's write, if any, landed
   */
  Future<?> releaseWhenSettled(int cell) {
    if (!runners.settlingIn(cell).isEmpty()) {
      return Future.succeededFuture();
    }
    List<long[]> own = null;
    for (KeyRunner r : runners.inCell(cell)) {
      if (r.marked || r.phase == KeyRunner.Phase.STOPPED) {
        continue;
      }
      if (r.phase == KeyRunner.Phase.LEAVING) {
        return Future.succeededFuture();
      }
      own = own == null ? owned(cell) : own;
      if (!within(own, r.position)) {
        return Future.succeededFuture();
      }
    }
    return release(cell);
  }

  /**
   * Tidies this node's segments of a cell: hands on those it no longer owns (see {@link #handOn}),
   * except where a key of its has not stopped yet (a hand-off under way) or its last write has not
   * landed (the payload it carries, the removal of a halted key), and clears its marks where it
   * owns the cell again and nothing of the cell is leaving. Called after a key of the cell
   * stopped, after a rebalance and on a close; a call with nothing to change writes nothing.
   * Context only.
   *
   * @param cell the cell
   * @return completes once the write landed
   */
  Future<CellLease> release(int cell) {
    return cells.update(cell, cur -> {
      List<long[]> own = owned(cell);
      CellLease out = cur;
      long from = CellLease.first(cell);
      for (int i = 0; i <= own.size(); i++) {
        long to = i < own.size() ? own.get(i)[0] - 1 : CellLease.last(cell);
        if (from <= to) {
          out = handOn(out, from, to);
        }
        if (i < own.size()) {
          from = own.get(i)[1] + 1;
        }
      }
      // Keys of this node outside what it owns that have not stopped, or whose last write is under
      // way, keep their lease (within what it owns nothing was freed).
      boolean leaving = false;
      for (KeyRunner r : runners.inCell(cell)) {
        if (r.phase != KeyRunner.Phase.STOPPED) {
          leaving |= r.phase == KeyRunner.Phase.LEAVING;
          if (!within(own, r.position)) {
            out = keep(out, cur, r.position);
          }
        }
      }
      for (KeyRunner r : runners.settlingIn(cell)) {
        leaving = true;
        if (!within(own, r.position)) {
          out = keep(out, cur, r.position);
        }
      }
      if (!leaving) {
        for (long[] range : own) {
          out = out.with(range[0], range[1], l -> ours(l) && l.moving() ? l.held() : l);
        }
      }
      return out;
    });
  }

  /**
   * {@code out} with this node's segments from {@code first} to {@code last} given to their owners
   * in the ring (the ring without this node while it closes) where those announced their token, and
   * freed elsewhere. A part given is what its owner would take at once when freed (a free part is
   * taken without waiting): one write of the cell instead of two, and no race between the owners of
   * a cell's parts to take them. An owner whose announced token is stale (it lost quorum since)
   * sees the part as its own from before and takes it only after the fence.
   */
  private CellLease handOn(CellLease out, long first, long last) {
    HashRing r = closing ? heirRing : ring;
    String me = self();
    if (r == null || r.isEmpty() || me == null) {
      return out.with(first, last, l -> ours(l) ? null : l);
    }
    Map<String, Lease> h = heirs;
    CellLease[] acc = {out};
    long[] from = {first};
    r.runs(first, last, (runLast, owner) -> {
      Lease heir = owner.equals(me) ? null : h.get(owner);
      acc[0] = acc[0].with(from[0], runLast, l -> ours(l) ? heir : l);
      from[0] = runLast + 1;
    });
    return acc[0];
  }

  private static boolean within(List<long[]> ranges, long position) {
    for (long[] range : ranges) {
      if (range[0] <= position && position <= range[1]) {
        return true;
      }
    }
    return false;
  }

  /** {@code out} with the lease {@code cur} has at a position. */
  private static CellLease keep(CellLease out, CellLease cur, long position) {
    Lease kept = cur.at(position);
    return out.with(position, position, l -> kept);
  }

  /**
   * Completes once every write issued so far (and any they lead to) is done: the store must not
   * close under a queued release or removal. Context only.
   *
   * @return completes when no write is queued or in flight
   */
  Future<Void> writesDone() {
    Promise<Void> p = context.promise();
    drained.add(p);
    nextWrites();
    return p.future();
  }

  /** A worker's future, completed on the set's context (null becomes a failure). */
  <T> Future<T> here(Future<T> f) {
    Promise<T> p = context.promise();
    if (f == null) {
      p.fail(new IllegalStateException("the worker returned no future"));
    } else {
      f.onComplete(p);
    }
    return p.future();
  }

  /** Calls a worker's callback: a throw becomes a failed future. */
  static <T> Future<T> call(Supplier<Future<T>> callback) {
    try {
      return callback.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
