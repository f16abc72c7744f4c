package dev.cloister.impl.workers;

import dev.cloister.CloisterMember;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.ShardedWorkers;
import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Follows quorum, the set's ring and the events of the key store, and decides from them which keys
 * this node wants to take and which running keys it must leave or stop.
 */
final class Rebalancer {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);

  /** Bound on the other owners' unleased keys one sweep remembers. */
  static final int UNLEASED_MAX = 10_000;
  /** Bound on the keys one sweep has settled by their primary copy. */
  static final int SETTLE_MAX = 256;

  private final SetState set;
  private final LeaseTaker leases;
  private final RunningKeys keys;

  Rebalancer(SetState set, LeaseTaker leases, RunningKeys keys) {
    this.set = set;
    this.leases = leases;
    this.keys = keys;
  }

  /** Follows the node's state: quorum lost stops every key, quorum (re)gained rebuilds the ring. */
  void onState(CloisterState s) {
    if (set.closing) {
      return;
    }
    CloisterStatus status = s.getStatus();
    if (status == CloisterStatus.STOPPING || status == CloisterStatus.STOPPED) {
      // The node left without the graceful hook (it failed to start): nobody gets the leases.
      if (set.quorate || !set.runners.isEmpty()) {
        set.quorate = false;
        stopAll("closed");
      }
      return;
    }
    // A node of one (NONODE) is its own quorum for good.
    boolean alone = status == CloisterStatus.NONODE;
    boolean q = alone || (status == CloisterStatus.READY || status == CloisterStatus.REHASHING) && s.isQuorate();
    if (!q && set.quorate && status == CloisterStatus.REHASHING && hold()) {
      return;
    }
    boolean held = endHold();
    if (!q) {
      if (set.quorate || !set.runners.isEmpty() || !leases.isEmpty()) {
        quorumLost();
      }
      return;
    }
    boolean regained = !set.quorate || held;
    set.quorate = true;
    String as = set.ownLease().encode();
    if (!as.equals(set.announcedAs) && set.self() != null) {
      // Again after a quorum loss: the token is new. Its own entry event brings the set's ring
      // with this node in it.
      set.announcedAs = as;
      set.store.join(set.self(), as);
    }
    if (status == CloisterStatus.READY || alone || regained) {
      recompute(regained);
    }
  }

  /**
   * After a merge a node is not quorate while it waits for the records of the members back in its
   * view (a few hundred ms), though it still hears a quorum of the members it had: stopping every
   * key then would cost the fence before any restarts (measured: 9 s without any key running after
   * a 3 + 2 partition healed). So while that is the only reason, the keys keep running (no new
   * start, no rebalance), re-checked every 100 ms and for at most the fence: when this node stops
   * hearing a quorum, or the wait outlasts the fence, it stops everything as on any quorum loss.
   *
   * @return true while the keys are held
   */
  private boolean hold() {
    if (set.holdingSince >= 0) {
      return holdGoesOn();
    }
    if (!set.cloister.quorumHeardWhileWaiting()) {
      return false;
    }
    set.holdingSince = System.nanoTime();
    log.info(set.self() + " waits for members back in its view: worker set '" + set.name + "' keeps its "
      + set.runners.size() + " keys running meanwhile");
    set.holdTimer = set.context.setPeriodic(100, id -> {
      if (set.closing) {
        endHold();
        return;
      }
      if (set.holdingSince < 0) {
        return; // ended meanwhile
      }
      CloisterState now = set.cloister.state();
      if (now.isQuorate() && now.getStatus() == CloisterStatus.READY) {
        onState(now); // the wait is over: the hold ends there, with a rebalance
      } else if (!holdGoesOn()) {
        endHold();
        quorumLost();
      }
    });
    return true;
  }

  /**
   * A hold goes on while this node hears a quorum (evidence, not the wait itself: the wait may be
   * over before the state says so), within the fence.
   */
  private boolean holdGoesOn() {
    return set.cloister.quorumHeard() && (System.nanoTime() - set.holdingSince) / 1_000_000 <= set.timeouts.fence();
  }

  private void quorumLost() {
    log.warn(set.self() + " lost quorum: worker set '" + set.name + "' stops its " + set.runners.size() + " keys");
    set.quorate = false;
    stopAll("quorum-lost");
  }

  /** @return whether a hold was under way (now ended) */
  private boolean endHold() {
    if (set.holdTimer >= 0) {
      set.vertx.cancelTimer(set.holdTimer);
      set.holdTimer = -1;
    }
    boolean was = set.holdingSince >= 0;
    set.holdingSince = -1;
    return was;
  }

  /**
   * Builds the set's ring (on a worker, in order) from the group's ring and the announcements, and
   * rebalances when it changed.
   *
   * @param force rebalance even when the ring did not change (quorum came back)
   */
  void recompute(boolean force) {
    if (set.closing || !set.quorate) {
      return;
    }
    Rings.Versioned versioned = set.cloister.rings().group(set.group);
    Map<String, String> live = new HashMap<>();
    for (CloisterMember m : set.cloister.state().getMembers()) {
      live.put(m.getName(), m.getNodeId());
    }
    HashRing previous = set.ring;
    String me = set.self();
    set.context.executeBlocking(() -> {
      if (versioned == null || versioned.ring().isEmpty()) {
        return new Built(null, Map.<String, Lease>of());
      }
      Map<String, Lease> announced = set.store.participants();
      Map<String, String> ids = new HashMap<>();
      announced.forEach((name, lease) -> ids.put(name, lease.nodeId()));
      List<String> members = Participation.members(versioned.ring().members(), ids, live);
      // As onNode keeps them: every other announcement (only the ring's owners are looked up).
      Map<String, Lease> heirs = new HashMap<>(announced);
      heirs.remove(me);
      HashRing base = versioned.ring();
      if (members.isEmpty()) {
        return new Built(null, heirs);
      }
      if (members.equals(base.members())) {
        return new Built(base, heirs);
      }
      // The set's last ring usually differs from the new one by a member: derived from it, cheaply.
      HashRing from = previous != null && previous.vnodes() == base.vnodes() ? previous : base;
      return new Built(from.rebuild(members), heirs);
    }, true).onComplete((built, err) -> {
      if (err != null) {
        log.warn("Worker set '" + set.name + "' could not build its ring: " + err.getMessage());
        return;
      }
      if (set.closing || !set.quorate) {
        return;
      }
      set.heirs = built.heirs();
      if (!force && Objects.equals(built.ring(), set.ring)) {
        return;
      }
      HashRing before = set.ring;
      set.ring = built.ring();
      rebalance(!force && onlyJoined(before, set.ring));
    });
  }

  /**
   * Whether a new ring can give this node no key it did not own before: members only joined, and
   * the keys it owned in the ring before were all asked for (a join only moves keys to the joining
   * members). Its rebalance then has nothing to find in the replica.
   */
  private boolean onlyJoined(HashRing before, HashRing now) {
    return before != null && now != null && before == set.scannedFor && now.members().containsAll(before.members());
  }

  /** A ring built for the set (null: none), and the other participants' leases as they would hold them. */
  private record Built(HashRing ring, Map<String, Lease> heirs) {
  }

  /**
   * Re-reads the local replica for keys this node owns that neither run nor wait here, and running
   * keys it no longer owns: what a ring change, a key's event or a lease's event should have
   * brought, but did not (a write of the store that failed, such as a halted key's removal while a
   * node left; an event lost in a topology change); and has replicas that disagree on a key settle
   * ({@link #settle}). Skipped while not quorate, during a hold and while a rebalance or another
   * sweep is under way; a rebalance that begins meanwhile supersedes it.
   */
  void sweep() {
    if (set.closing || !set.quorate || set.holdingSince >= 0 || set.ring == null || set.scans > 0) {
      return;
    }
    scan(set.generation, true);
  }

  /**
   * Hands off at once the running keys this node no longer owns, then finds the keys it owns now
   * (a scan of the replica, on a worker). The hand-offs come first: a gaining node waits for a live
   * holder's lease only {@code handoffTimeout} of silence, and the scan of a million-key replica
   * takes seconds.
   *
   * @param nothingToFind skip the scan: the ring can give this node no key it did not ask for
   *     already (see {@link #onlyJoined})
   */
  private void rebalance(boolean nothingToFind) {
    int gen = ++set.generation;
    long began = System.nanoTime();
    set.scans++;
    List<Future<Void>> leaving = new ArrayList<>();
    Future<Void> moved = set.chunked(set.runners.byCell(), r -> {
      if (movedAway(gen, r)) {
        leaving.add(keys.leave(r, "moved"));
      }
    }).compose(v -> tidy()).onComplete(x -> set.scans--).compose(v -> Future.join(leaving)).mapEmpty();
    Future<Void> found;
    if (nothingToFind) {
      set.scannedFor = set.ring;
      found = Future.succeededFuture();
    } else {
      found = scan(gen, false);
    }
    Future.join(moved, found).onComplete(x -> {
      if (gen == set.generation) {
        set.metrics.rebalanced(System.nanoTime() - began);
      }
    });
  }

  /** Whether a running key is to be handed off: this node no longer owns it. Context only. */
  private boolean movedAway(int gen, KeyRunner r) {
    return gen == set.generation && set.quorate && !set.closing && r.phase != KeyRunner.Phase.LEAVING
      && r.phase != KeyRunner.Phase.STOPPED && !set.mineAt(r.position);
  }

  /**
   * What a scan of the replica found: the keys this node owns that do not run here, other owners'
   * keys with no lease (sweeps only), removal markers, and (sweeps only) the running keys this node
   * no longer owns (a rebalance hands those off before it scans).
   */
  private record Found(List<Map.Entry<String, String>> owned, Map<String, String> unleased, List<String> markers,
                       List<String> strays) {
  }

  /** @return completes once the scan's keys are asked for and its hand-offs (sweeps only) are done */
  private Future<Void> scan(int gen, boolean sweep) {
    set.scans++;
    HashRing ring = set.ring;
    Promise<Void> done = set.context.promise();
    set.context.executeBlocking(() -> {
      Map<String, String> unleased = new HashMap<>();
      CellLease[] cells = new CellLease[CellLease.CELLS];
      // Nothing listed for the keys that run where they belong (nearly all of them): a key that
      // runs here needs nothing (one that stops while this node still owns it, the next sweep finds).
      KeyStore.Scanned scanned = set.store.scan(sweep ? SETTLE_MAX : 0, (key, payload) -> {
        long position = CellLease.position(key);
        if (set.mineAt(position)) {
          return !set.localKeys.contains(key);
        }
        if (sweep && unleased.size() < UNLEASED_MAX && leaseAt(cells, position) == null) {
          unleased.put(key, payload);
        }
        return false;
      });
      List<String> strays = new ArrayList<>();
      if (sweep) {
        for (String key : set.localKeys) {
          if (!set.mine(key)) {
            strays.add(key);
          }
        }
      }
      return new Found(scanned.payloads(), unleased, scanned.markers(), strays);
    }, false).onComplete((found, err) -> {
      if (err != null) {
        set.scans--;
        log.warn("Worker set '" + set.name + "' could not scan its keys: " + err.getMessage());
        done.complete();
        return;
      }
      if (gen != set.generation || !set.quorate || set.closing) {
        set.scans--;
        done.complete();
        return;
      }
      List<Future<Void>> leaving = new ArrayList<>();
      int[] counts = new int[3];
      if (sweep) {
        counts[2] = settle(found.unleased());
        dropMarkers(found.markers());
        tidy();
      }
      set.chunked(found.owned(), e -> {
        if (gen == set.generation && set.quorate && !set.closing && leases.want(e.getKey())) {
          counts[0]++;
        }
      }).compose(v -> set.chunked(running(found.strays()), r -> {
        if (movedAway(gen, r)) {
          counts[1]++;
          leaving.add(keys.leave(r, "moved"));
        }
      })).onComplete(x -> {
        set.scans--;
        if (!sweep && gen == set.generation) {
          set.scannedFor = ring;
        }
        if (sweep && gen == set.generation && counts[0] + counts[1] + counts[2] > 0) {
          log.info("Worker set '" + set.name + "' on " + set.self() + ": the sweep found " + counts[0]
            + " keys this node owns that neither ran nor waited here, " + counts[1]
            + " running keys it no longer owns, and " + counts[2] + " keys of other owners with no lease in two"
            + " sweeps; it takes and hands off the first two kinds, and has the replicas settle the last");
        }
      }).compose(v -> Future.join(leaving)).onComplete(x -> done.complete());
    });
    return done.future();
  }

  /** The lease covering a key's position, each cell read once per scan. On a worker. */
  private Lease leaseAt(CellLease[] cells, long position) {
    int cell = CellLease.cellOf(position);
    if (cells[cell] == null) {
      cells[cell] = CellLease.decode(cell, set.store.cell(cell));
    }
    return cells[cell].at(position);
  }

  /**
   * Tidies every cell where this node holds a segment (see {@link SetState#releaseWhenSettled}):
   * frees what it no longer owns and nothing of its runs there any more. A cell with nothing to
   * change is not written. Context only.
   *
   * @return completes once the cells are looked at (their writes go on)
   */
  Future<Void> tidy() {
    List<Integer> held = new ArrayList<>();
    for (int cell = 0; cell < CellLease.CELLS; cell++) {
      for (Lease l : set.cellLease(cell).holders()) {
        if (set.ours(l)) {
          held.add(cell);
          break;
        }
      }
    }
    return set.chunked(held, set::releaseWhenSettled);
  }

  /** The runners of the keys a sweep listed as running here and owned elsewhere. Context only. */
  private List<KeyRunner> running(List<String> strays) {
    List<KeyRunner> out = new ArrayList<>(strays.size());
    for (String key : strays) {
      KeyRunner r = set.runners.get(key);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Other owners' keys that this replica holds without a lease in two sweeps in a row: either
   * their owner's replica lacks them (nobody runs them) or this replica kept a key removed
   * elsewhere (a quorate owner takes a free lease at once). Each such key is settled by its primary
   * copy (see {@link KeyStore#settle}; a key the replicas agree on is only written again as it is),
   * at most {@link #SETTLE_MAX} per sweep. Context only.
   *
   * @return how many were settled
   */
  private int settle(Map<String, String> unleased) {
    Set<String> before = set.unleasedBefore;
    set.unleasedBefore = unleased.keySet();
    int n = 0;
    for (Map.Entry<String, String> e : unleased.entrySet()) {
      if (n == SETTLE_MAX) {
        break;
      }
      if (before.contains(e.getKey())) {
        n++;
        String key = e.getKey();
        String value = e.getValue();
        set.write(() -> set.store.settle(key, value));
      }
    }
    return n;
  }

  /**
   * Removes the removal markers found in two sweeps in a row: a marker lives only between the two
   * writes of a removal, so one seen 10 s apart was left behind by a removal whose second write
   * failed. Left alone it would count as a key in {@code size()} on no node but in memory on every
   * one. The removal is conditional: a payload put meanwhile stays. Context only.
   */
  private void dropMarkers(List<String> markers) {
    Set<String> before = set.markersBefore;
    set.markersBefore = Set.copyOf(markers);
    for (String key : markers) {
      if (before.contains(key)) {
        set.write(() -> set.store.dropMarker(key));
      }
    }
  }

  /** A key's payload was written or removed. */
  void onKey(String key, String value) {
    if (set.store == null) {
      return;
    }
    KeyRunner r = set.runners.get(key);
    if (value == null) {
      set.performAfterStart.remove(key);
      leases.drop(key);
      if (r != null && (r.phase == KeyRunner.Phase.RUNNING || r.phase == KeyRunner.Phase.STARTING)) {
        r.cancelQueued();
        r.submit(() -> {
          keys.finish(r, "deleted");
          return set.mineAt(r.position) ? Future.succeededFuture() : set.releaseWhenSettled(r.cell());
        });
      }
      return;
    }
    if (r != null) {
      if (!value.equals(r.stored) && r.phase != KeyRunner.Phase.STOPPED) {
        try {
          new JsonObject(value);
        } catch (DecodeException e) {
          return;
        }
        r.stored = value;
        if (set.options.getTick() == 0) {
          keys.requestPerform(r);
        }
      }
      return;
    }
    if (!set.quorate || set.closing || set.holdingSince >= 0) {
      return;
    }
    long position = CellLease.position(key);
    if (set.mineAt(position)) {
      if (set.options.getTick() == 0) {
        // A put of a key not running here (a new key): its start is followed by a perform.
        set.performAfterStart.add(key);
      }
      leases.want(key, position);
    }
  }

  /**
   * A cell's lease changed: the keys of the cell running here whose segment no longer names this
   * node stop at once, and waiting keys of the cell are looked at again.
   *
   * @param cellKey the cell's key in the leases cache
   */
  void onCell(String cellKey) {
    int cell;
    try {
      cell = Integer.parseInt(cellKey);
    } catch (NumberFormatException e) {
      return;
    }
    if (cell < 0 || cell >= CellLease.CELLS || set.store == null) {
      return;
    }
    // Events come asynchronously and may be older than the replica: judge by what it holds now.
    CellLease now = set.cellLease(cell);
    List<KeyRunner> lost = new ArrayList<>();
    for (KeyRunner r : set.runners.inCell(cell)) {
      if (r.phase != KeyRunner.Phase.STOPPED && !set.ours(now.at(r.position))) {
        lost.add(r);
      }
    }
    if (!lost.isEmpty()) {
      Lease by = now.at(lost.get(0).position);
      log.warn("Worker set '" + set.name + "': " + lost.size() + " key(s) of cell " + cell + ", '" + lost.get(0).key
        + "' first, were taken by " + (by == null ? "nobody" : by.nodeId()) + "; they stop here");
      lost.forEach(r -> keys.finish(r, "moved"));
    }
    leases.nudge(cell);
  }

  /**
   * A participant's announcement changed: it is an heir with its new token, or none once it
   * withdrew (closing nodes hand nothing to a node that closes too), at once, even while this node
   * closes; then the ring is built again.
   *
   * @param name the node's name
   * @param value its announcement, null when withdrawn
   */
  void onNode(String name, String value) {
    if (KeyStore.isClosedRecord(name)) {
      // A set closed: the segments still naming it are free now, wherever keys wait for them.
      leases.nudgeAll();
      return;
    }
    Map<String, Lease> heirs = new HashMap<>(set.heirs);
    Lease as = KeyStore.announced(value);
    if (as == null || name.equals(set.self())) {
      heirs.remove(name);
    } else {
      heirs.put(name, as);
    }
    set.heirs = heirs;
    recompute(false);
  }

  /**
   * Notes when node ids left the view, for the lease rules: the latest departure of each, and none
   * for a node back in the view (a merge keeps its id), so that its next departure is fenced anew.
   */
  void onView(Set<String> left, Set<String> members) {
    long t = SetState.now();
    set.goneAt.keySet().removeAll(members);
    left.forEach(id -> set.goneAt.put(id, t));
    if (!set.closing) {
      left.forEach(set.store::forgetClosed);
    }
  }

  /** Stops every key at once without hand-off or release: quorum lost, or the node gone. */
  private void stopAll(String reason) {
    set.generation++;
    // The segments this node holds now count as left from before, as a lease of nobody here.
    set.token = Lease.freshToken();
    set.scannedFor = null; // the keys waiting here are dropped: the next rebalance finds them again
    leases.clear();
    keys.stopAll(reason);
  }
}
