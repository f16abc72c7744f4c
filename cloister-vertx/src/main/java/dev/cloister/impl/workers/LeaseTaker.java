package dev.cloister.impl.workers;

import dev.cloister.ShardedWorkers;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Takes the leases of the keys this node owns: queues the keys it wants, looks at their leases in
 * blocking batches, takes the ones {@link LeaseRules} allow, and asks again later for the rest.
 * Started keys go to {@link RunningKeys}.
 */
final class LeaseTaker {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);

  private final SetState set;
  private final RunningKeys keys;
  private final Map<String, Pending> pending = new HashMap<>();
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  private boolean pumping;

  /** A key this node owns and waits to take the lease of. */
  private static final class Pending {
    String seen;
    long since;
    long timer = -1;
    boolean queued;
  }

  LeaseTaker(SetState set, RunningKeys keys) {
    this.set = set;
    this.keys = keys;
  }

  /**
   * Queues a key this node owns to take its lease, unless it runs or waits already.
   *
   * @param key the key
   * @return whether it was queued now
   */
  boolean want(String key) {
    if (set.runners.containsKey(key) || pending.containsKey(key)) {
      return false;
    }
    Pending p = new Pending();
    pending.put(key, p);
    enqueue(key, p);
    return true;
  }

  private void enqueue(String key, Pending p) {
    if (p.timer >= 0) {
      set.vertx.cancelTimer(p.timer);
      p.timer = -1;
    }
    if (!p.queued) {
      p.queued = true;
      ready.add(key);
    }
    if (!pumping) {
      pumping = true;
      set.context.runOnContext(v -> pump());
    }
  }

  /** What a lease batch hands back per key. */
  private record Looked(String key, String seen, long since, String taken, long taking, String payload, long notBefore,
                        boolean drop) {
  }

  private record Ask(String key, String seen, long since) {
  }

  private void pump() {
    if (!set.quorate || set.closing || ready.isEmpty()) {
      pumping = false;
      return;
    }
    List<Ask> batch = new ArrayList<>();
    while (batch.size() < WorkerSet.LEASE_BATCH && !ready.isEmpty()) {
      String key = ready.poll();
      Pending p = pending.get(key);
      if (p != null) {
        p.queued = false;
        batch.add(new Ask(key, p.seen, p.since));
      }
    }
    String me = set.self();
    set.context.executeBlocking(() -> look(batch, me), false).onComplete((looked, err) -> {
      if (err != null) {
        log.warn("Worker set '" + set.name + "' could not take leases: " + err.getMessage());
        batch.forEach(a -> retryLater(a.key(), WorkerSet.RETRY_MS * 10));
      } else {
        looked.forEach(this::afterLook);
      }
      pump();
    });
  }

  /** On a worker: reads each lease, decides, and takes the ones the rules allow. */
  private List<Looked> look(List<Ask> batch, String me) {
    long now = SetState.now();
    Set<String> view = set.store.view();
    List<Looked> out = new ArrayList<>(batch.size());
    List<CompletableFuture<Looked>> takes = new ArrayList<>();
    Map<String, Taking> free = new LinkedHashMap<>();
    Map<String, String> displaced = new HashMap<>();
    for (Ask a : batch) {
      String key = a.key();
      String payload = set.store.payload(key);
      if (payload == null || me == null || !set.mine(key)) {
        out.add(new Looked(key, null, 0, null, 0, null, 0, true));
        continue;
      }
      String seen = set.store.lease(key);
      long since = seen != null && seen.equals(a.seen()) ? a.since() : now;
      Lease lease = seen == null ? null : Lease.decode(seen);
      if (seen != null && lease == null) {
        lease = new Lease("?", "?", false); // unreadable: a holder nobody can see
      }
      long gone = lease == null ? -1 : set.goneAt.getOrDefault(lease.nodeId(), -1L);
      long wrote = lease == null ? -1 : set.store.holderWroteAt(lease.nodeId());
      LeaseRules.Decision d = LeaseRules.decide(lease, set.selfId, null, lease != null && view.contains(lease.nodeId()),
        gone, wrote, since, now, set.timeouts);
      if (!d.take()) {
        out.add(new Looked(key, seen, since, null, 0, null, d.notBefore(), false));
        continue;
      }
      long taking = Lease.freshTaking();
      String fresh = new Lease(set.selfId, Lease.token(taking), false).encode();
      boolean live = lease != null && !lease.nodeId().equals(set.selfId) && view.contains(lease.nodeId());
      if (!live) {
        // Free, or left by a holder gone from the view (or by this node before it lost quorum).
        if (seen != null) {
          displaced.put(key, seen);
        }
        free.put(key, new Taking(taking, fresh, payload));
        continue;
      }
      // A live holder that stayed silent: replaced in place, so that nobody takes its removal for
      // the holder's own release (which would tell the others it is at work).
      CompletableFuture<Boolean> took = set.store.replaceLease(key, seen, fresh)
        .thenCompose(ok -> ok ? CompletableFuture.completedFuture(true)
          // The primary copy decides a conditional write, and this replica can be stale after a
          // merge (on the rig: a paused node's replica kept its own leases from before the pause,
          // which the others had released, and it retried a replace of that value for good). With
          // no lease at all in the primary copy, the key is free.
          : set.store.takeFree(key, fresh).thenApply(prev -> prev == null));
      takes.add(took.handle((ok, err) -> Boolean.TRUE.equals(ok)
        ? new Looked(key, fresh, now, fresh, taking, payload, 0, false)
        : new Looked(key, null, now, null, 0, null, now + WorkerSet.RETRY_MS, false)));
    }
    if (!free.isEmpty()) {
      out.addAll(takeFree(free, displaced, now));
    }
    for (CompletableFuture<Looked> t : takes) {
      try {
        out.add(t.get(set.timeouts.handoffTimeout() + 30_000, TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        throw new IllegalStateException("a lease write did not complete: " + e, e);
      }
    }
    return out;
  }

  /**
   * Takes leases in one write of the cache (nearly all of a rebalance's or of new keys'): the
   * displaced ones are removed first where they still have the value seen, in one write too; a
   * replica that is stale after a merge sees that removal do nothing, and where the primary copy
   * holds no lease the take finds the key free, as for the others.
   */
  private List<Looked> takeFree(Map<String, Taking> free, Map<String, String> displaced, long now) {
    Map<String, String> wanted = new HashMap<>();
    free.forEach((key, t) -> wanted.put(key, t.lease()));
    Set<String> took;
    try {
      if (!displaced.isEmpty()) {
        set.store.release(displaced);
      }
      took = set.store.takeFree(wanted);
    } catch (RuntimeException e) {
      log.debug("Worker set '" + set.name + "': a batch of lease takes failed: " + e);
      took = Set.of();
    }
    List<Looked> out = new ArrayList<>(free.size());
    for (Map.Entry<String, Taking> e : free.entrySet()) {
      String key = e.getKey();
      Taking t = e.getValue();
      out.add(took.contains(key) ? new Looked(key, t.lease(), now, t.lease(), t.taking(), t.payload(), 0, false)
        : new Looked(key, null, now, null, 0, null, now + WorkerSet.RETRY_MS, false));
    }
    return out;
  }

  /** A free lease a batch takes: the taking's number, the lease, the key's payload. */
  private record Taking(long taking, String lease, String payload) {
  }

  private void afterLook(Looked l) {
    Pending p = pending.get(l.key());
    if (l.drop()) {
      if (p != null) {
        pending.remove(l.key());
      }
      return;
    }
    if (l.taken() != null) {
      pending.remove(l.key());
      // No generation check here: a rebalance during the batch skips keys that are pending, so
      // this result must stand for it; a quorum loss or a close cleared the pending entry instead.
      if (p == null || !set.quorate || set.closing || set.runners.containsKey(l.key()) || !set.mine(l.key())) {
        set.release(l.key(), l.taken()); // taken, but no longer ours to run
        return;
      }
      keys.begin(l.key(), l.taking(), l.payload());
      return;
    }
    if (p == null) {
      return;
    }
    p.seen = l.seen();
    p.since = l.since();
    retryLater(l.key(), Math.max(1, l.notBefore() - SetState.now()));
  }

  private void retryLater(String key, long delay) {
    Pending p = pending.get(key);
    if (p == null || p.queued) {
      return;
    }
    if (p.timer >= 0) {
      set.vertx.cancelTimer(p.timer);
    }
    p.timer = set.context.setTimer(delay, id -> {
      p.timer = -1;
      if (pending.get(key) == p) {
        enqueue(key, p);
      }
    });
  }

  /**
   * Takes the lease of a pending key again soon, after its lease changed.
   *
   * @param key the key
   */
  void nudge(String key) {
    Pending p = pending.get(key);
    if (p != null && set.quorate && !set.closing) {
      enqueue(key, p);
    }
  }

  /**
   * Stops waiting for a key (it was deleted).
   *
   * @param key the key
   */
  void drop(String key) {
    Pending p = pending.remove(key);
    if (p != null && p.timer >= 0) {
      set.vertx.cancelTimer(p.timer);
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
