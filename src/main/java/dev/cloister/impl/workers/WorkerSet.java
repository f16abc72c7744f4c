package dev.cloister.impl.workers;

import dev.cloister.impl.transport.NodeTransport;
import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterMember;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.impl.CloisterImpl;
import dev.cloister.impl.metrics.WorkerMetrics;
import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A sharded worker set on one node: which keys it runs, their leases, hand-offs and calls.
 *
 * <p>All mutable state is confined to the set's own event-loop context: Infinispan's callbacks and
 * Cloister's state changes hop onto it. O(keys) work (the scan of the local replica, taking leases)
 * runs on worker threads; what comes back to the context is processed in chunks.
 *
 * <p>A key runs here only while this node is quorate, owns the key in the group's ring and holds
 * the key's lease (see {@link LeaseRules}). A key that moves away is marked as handing off, waits
 * for the callback in flight, is handed off and stopped, its payload stored, and only then is its
 * lease released, so the next owner never starts it earlier.
 */
public final class WorkerSet implements ShardedWorkers {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);
  /** How many items one turn of the context handles before it yields. */
  static final int CHUNK = 512;
  /** How many leases one blocking batch looks at. */
  static final int LEASE_BATCH = 256;
  /** Pause before a caller asks again for a key that is not running yet, ms. */
  static final long RETRY_MS = 50;

  private final VertxInternal vertx;
  private final ContextInternal context;
  private final String name;
  private final WorkersOptions options;
  private final LeaseRules.Timeouts timeouts;
  private final Worker worker;
  private final CloisterImpl cloister;
  private final String group;
  private final Set<String> localKeys = ConcurrentHashMap.newKeySet();
  /** When this node saw each node id leave the view (ms); read by lease batches on workers. */
  private final Map<String, Long> goneAt = new ConcurrentHashMap<>();
  private final Map<String, KeyRunner> runners = new HashMap<>();
  private final Map<String, Pending> pending = new HashMap<>();
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  private final WorkersInbox inbox = new WorkersInbox(this::deliver);
  private final WorkerMetrics metrics;
  private KeyStore store;
  private String selfId;
  private Runnable unhook = () -> { };
  private volatile boolean quorate;
  private volatile boolean closing;
  /** The set's ring: the group's ring of the members that run the set; null while none does. */
  private volatile HashRing ring;
  /** Whether this node announced that it runs the set. Context only. */
  private boolean announced;
  private int generation;
  private boolean pumping;
  private Future<Void> closed;
  private io.vertx.core.streams.ReadStream<dev.cloister.StateChange> states;

  /** A key this node owns and waits to take the lease of. */
  private static final class Pending {
    String seen;
    long since;
    long timer = -1;
    boolean queued;
  }

  private WorkerSet(VertxInternal vertx, String name, WorkersOptions options, long fence, Worker worker,
                    CloisterImpl cloister) {
    this.vertx = vertx;
    this.context = vertx.createEventLoopContext();
    this.name = name;
    this.options = options;
    this.timeouts = new LeaseRules.Timeouts(fence, options.getPerformTimeout(), options.getHandoffTimeout());
    this.worker = worker;
    this.cloister = cloister;
    this.group = options.getGroup() != null ? options.getGroup() : cloister.group();
    this.metrics = WorkerMetrics.of(vertx, name, localKeys::size);
  }

  /**
   * See {@link ShardedWorkers#start}.
   *
   * @param vertx a clustered Vert.x running a Cloister
   * @param name the set's name
   * @param options its options
   * @param worker what runs for each key
   * @return the set, or a failure naming the bad argument
   */
  public static Future<ShardedWorkers> start(Vertx vertx, String name, WorkersOptions options, Worker worker) {
    WorkerSet set;
    try {
      KeyRules.name(name);
      if (worker == null) {
        throw new IllegalArgumentException("No worker given for worker set '" + name + "'");
      }
      WorkersOptions o = options == null ? new WorkersOptions() : new WorkersOptions(options);
      if (!vertx.isClustered()) {
        throw new IllegalArgumentException("Worker set '" + name + "' needs a clustered Vert.x (its keys live in "
          + "replicated caches); this one is not clustered");
      }
      long fence = DetectionBound.fence(o.getFence(), NodeTransport.of(vertx).failureDetectionBound());
      Cloister c = Cloister.of(vertx);
      if (!(c instanceof CloisterImpl impl)) {
        throw new IllegalStateException("Worker set '" + name + "' needs the Cloister of this Vert.x");
      }
      set = new WorkerSet((VertxInternal) vertx, name, o, fence, worker, impl);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return set.open();
  }

  private Future<ShardedWorkers> open() {
    EmbeddedCacheManager manager = (EmbeddedCacheManager) ((InfinispanClusterManager) vertx.clusterManager())
      .getCacheContainer();
    Promise<ShardedWorkers> result = context.promise();
    context.runOnContext(v -> context.executeBlocking(() -> KeyStore.open(manager, name,
        (k, val) -> context.runOnContext(x -> onKey(k, val)),
        (k, val) -> context.runOnContext(x -> onLease(k, val)),
        (k, val) -> context.runOnContext(x -> recompute(false)),
        left -> context.runOnContext(x -> onLeft(left))), false)
      .compose(s -> {
        store = s;
        selfId = s.selfId();
        return inbox.open(vertx, WorkersInbox.address(cloister.addressPrefix(), name, selfId));
      })
      .onComplete((x, err) -> {
        if (err != null) {
          if (store != null) {
            store.close();
          }
          result.fail(err);
          return;
        }
        unhook = cloister.beforeLeave(this::close);
        states = cloister.stateStream();
        states.handler(change -> context.runOnContext(y -> onState(cloister.state())));
        onState(cloister.state());
        result.complete(this);
      }));
    return result.future();
  }

  private static long now() {
    return System.nanoTime() / 1_000_000L;
  }

  private String self() {
    return cloister.nodeName();
  }

  private boolean mine(String key) {
    HashRing r = ring;
    String me = self();
    return r != null && me != null && me.equals(r.owner(key));
  }

  // ---- quorum and rings ----

  private void onState(CloisterState s) {
    if (closing) {
      return;
    }
    CloisterStatus status = s.getStatus();
    if (status == CloisterStatus.STOPPING || status == CloisterStatus.STOPPED) {
      // The node left without the graceful hook (it failed to start): nobody gets the leases.
      if (quorate || !runners.isEmpty()) {
        quorate = false;
        stopAll("closed");
      }
      return;
    }
    boolean q = (status == CloisterStatus.READY || status == CloisterStatus.REHASHING) && s.isQuorate();
    if (!q) {
      if (quorate || !runners.isEmpty() || !pending.isEmpty()) {
        log.warn(self() + " lost quorum: worker set '" + name + "' stops its " + runners.size() + " keys");
        quorate = false;
        stopAll("quorum-lost");
      }
      return;
    }
    boolean regained = !quorate;
    quorate = true;
    if (!announced && self() != null) {
      announced = true;
      // Its own entry event brings the set's ring with this node in it.
      store.join(self(), selfId);
    }
    if (status == CloisterStatus.READY || regained) {
      recompute(regained);
    }
  }

  /**
   * Builds the set's ring (on a worker, in order) from the group's ring and the announcements, and
   * rebalances when it changed.
   *
   * @param force rebalance even when the ring did not change (quorum came back)
   */
  private void recompute(boolean force) {
    if (closing || !quorate) {
      return;
    }
    Rings.Versioned group = cloister.rings().group(this.group);
    Map<String, String> live = new HashMap<>();
    for (CloisterMember m : cloister.state().getMembers()) {
      live.put(m.getName(), m.getNodeId());
    }
    context.executeBlocking(() -> {
      if (group == null || group.ring().isEmpty()) {
        return Optional.<HashRing>empty();
      }
      List<String> members = Participation.members(group.ring().members(), store.participants(), live);
      HashRing base = group.ring();
      return Optional.ofNullable(members.isEmpty() ? null
        : members.equals(base.members()) ? base : HashRing.of(members, base.vnodes()));
    }, true).onComplete((built, err) -> {
      if (err != null) {
        log.warn("Worker set '" + name + "' could not build its ring: " + err.getMessage());
        return;
      }
      HashRing next = built.orElse(null);
      if (closing || !quorate || (!force && Objects.equals(next, ring))) {
        return;
      }
      ring = next;
      rebalance();
    });
  }

  /** Finds the keys this node owns now (on a worker) and the running keys it no longer owns. */
  private void rebalance() {
    int gen = ++generation;
    long began = System.nanoTime();
    context.executeBlocking(() -> {
      List<Map.Entry<String, String>> owned = new ArrayList<>();
      for (Map.Entry<String, String> e : store.scan()) {
        if (mine(e.getKey())) {
          owned.add(e);
        }
      }
      return owned;
    }, false).onComplete((owned, err) -> {
      if (err != null) {
        log.warn("Worker set '" + name + "' could not scan its keys: " + err.getMessage());
        return;
      }
      if (gen != generation || !quorate || closing) {
        return;
      }
      List<Future<Void>> leaving = new ArrayList<>();
      chunked(owned, e -> {
        if (gen == generation && quorate && !closing) {
          want(e.getKey());
        }
      }).compose(v -> chunked(new ArrayList<>(runners.values()), r -> {
        if (gen == generation && quorate && !closing && r.phase != KeyRunner.Phase.LEAVING
          && r.phase != KeyRunner.Phase.STOPPED && !mine(r.key)) {
          leaving.add(leave(r, "moved"));
        }
      })).compose(v -> Future.join(leaving)).onComplete(x -> {
        if (gen == generation) {
          metrics.rebalanced(System.nanoTime() - began);
        }
      });
    });
  }

  /** Runs {@code each} over {@code items}, {@link #CHUNK} per turn of the context. */
  private <T> Future<Void> chunked(List<T> items, Consumer<T> each) {
    Promise<Void> done = context.promise();
    chunk(items, 0, each, done);
    return done.future();
  }

  private <T> void chunk(List<T> items, int from, Consumer<T> each, Promise<Void> done) {
    int to = Math.min(items.size(), from + CHUNK);
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

  // ---- taking leases ----

  private void want(String key) {
    if (runners.containsKey(key) || pending.containsKey(key)) {
      return;
    }
    Pending p = new Pending();
    pending.put(key, p);
    enqueue(key, p);
  }

  private void enqueue(String key, Pending p) {
    if (p.timer >= 0) {
      vertx.cancelTimer(p.timer);
      p.timer = -1;
    }
    if (!p.queued) {
      p.queued = true;
      ready.add(key);
    }
    if (!pumping) {
      pumping = true;
      context.runOnContext(v -> pump());
    }
  }

  /** What a lease batch hands back per key. */
  private record Looked(String key, String seen, long since, String taken, String payload, long notBefore,
                        boolean drop) {
  }

  private record Ask(String key, String seen, long since) {
  }

  private void pump() {
    if (!quorate || closing || ready.isEmpty()) {
      pumping = false;
      return;
    }
    List<Ask> batch = new ArrayList<>();
    while (batch.size() < LEASE_BATCH && !ready.isEmpty()) {
      String key = ready.poll();
      Pending p = pending.get(key);
      if (p != null) {
        p.queued = false;
        batch.add(new Ask(key, p.seen, p.since));
      }
    }
    String me = self();
    context.executeBlocking(() -> look(batch, me), false).onComplete((looked, err) -> {
      if (err != null) {
        log.warn("Worker set '" + name + "' could not take leases: " + err.getMessage());
        batch.forEach(a -> retryLater(a.key(), RETRY_MS * 10));
      } else {
        looked.forEach(this::afterLook);
      }
      pump();
    });
  }

  /** On a worker: reads each lease, decides, and takes the ones the rules allow. */
  private List<Looked> look(List<Ask> batch, String me) {
    long now = now();
    Set<String> view = store.view();
    List<Looked> out = new ArrayList<>(batch.size());
    List<CompletableFuture<Looked>> takes = new ArrayList<>();
    for (Ask a : batch) {
      String key = a.key();
      String payload = store.payload(key);
      if (payload == null || me == null || !mine(key)) {
        out.add(new Looked(key, null, 0, null, null, 0, true));
        continue;
      }
      String seen = store.lease(key);
      long since = seen != null && seen.equals(a.seen()) ? a.since() : now;
      Lease lease = seen == null ? null : Lease.decode(seen);
      if (seen != null && lease == null) {
        lease = new Lease("?", "?", "?", false); // unreadable: a holder nobody can see
      }
      long gone = lease == null ? -1 : goneAt.getOrDefault(lease.nodeId(), -1L);
      LeaseRules.Decision d = LeaseRules.decide(lease, selfId, null, lease != null && view.contains(lease.nodeId()),
        gone, since, now, timeouts);
      if (!d.take()) {
        out.add(new Looked(key, seen, since, null, null, d.notBefore(), false));
        continue;
      }
      String fresh = new Lease(me, selfId, UUID.randomUUID().toString(), false).encode();
      CompletableFuture<Boolean> took = seen == null ? store.takeFree(key, fresh).thenApply(prev -> prev == null)
        : store.replaceLease(key, seen, fresh);
      takes.add(took.handle((ok, err) -> Boolean.TRUE.equals(ok)
        ? new Looked(key, fresh, now, fresh, payload, 0, false)
        : new Looked(key, null, now, null, null, now + RETRY_MS, false)));
    }
    for (CompletableFuture<Looked> t : takes) {
      try {
        out.add(t.get(timeouts.handoffTimeout() + 30_000, TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        throw new IllegalStateException("a lease write did not complete: " + e, e);
      }
    }
    return out;
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
      if (p == null || !quorate || closing || runners.containsKey(l.key()) || !mine(l.key())) {
        store.release(l.key(), l.taken()); // taken, but no longer ours to run
        return;
      }
      begin(l.key(), l.taken(), l.payload());
      return;
    }
    if (p == null) {
      return;
    }
    p.seen = l.seen();
    p.since = l.since();
    retryLater(l.key(), Math.max(1, l.notBefore() - now()));
  }

  private void retryLater(String key, long delay) {
    Pending p = pending.get(key);
    if (p == null || p.queued) {
      return;
    }
    if (p.timer >= 0) {
      vertx.cancelTimer(p.timer);
    }
    p.timer = context.setTimer(delay, id -> {
      p.timer = -1;
      if (pending.get(key) == p) {
        enqueue(key, p);
      }
    });
  }

  // ---- running keys ----

  private void begin(String key, String lease, String stored) {
    JsonObject payload;
    try {
      payload = new JsonObject(stored);
    } catch (DecodeException e) {
      log.warn("Worker set '" + name + "': key '" + key + "' has a payload that is not JSON; it starts with {}");
      payload = new JsonObject();
    }
    Lease l = Lease.decode(lease);
    KeyRunner r = new KeyRunner(key, payload, stored, lease, l.token());
    runners.put(key, r);
    r.submit(() -> {
      r.started = true;
      return here(call(() -> worker.start(key, r.payload))).andThen(ar -> {
        if (ar.failed()) {
          log.warn("Worker set '" + name + "': start of '" + key + "' failed: " + ar.cause());
        }
        if (r.phase == KeyRunner.Phase.STARTING) {
          r.phase = KeyRunner.Phase.RUNNING;
          localKeys.add(key);
          schedule(r, options.getTick());
        }
      });
    });
  }

  private void schedule(KeyRunner r, long delay) {
    if (r.timer >= 0) {
      vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    if (delay <= 0 || r.phase != KeyRunner.Phase.RUNNING) {
      return;
    }
    r.timer = context.setTimer(delay, id -> {
      r.timer = -1;
      requestPerform(r);
    });
  }

  private void requestPerform(KeyRunner r) {
    if (r.performQueued || r.phase != KeyRunner.Phase.RUNNING) {
      return;
    }
    r.performQueued = true;
    r.submit(() -> perform(r));
  }

  private Future<Void> perform(KeyRunner r) {
    r.performQueued = false;
    if (r.phase != KeyRunner.Phase.RUNNING || !quorate) {
      return Future.succeededFuture();
    }
    Promise<Void> done = context.promise();
    long timer = context.setTimer(options.getPerformTimeout(), id -> {
      if (!r.abandonLogged) {
        r.abandonLogged = true;
        log.warn("Worker set '" + name + "': perform of '" + r.key + "' took over " + options.getPerformTimeout()
          + " ms and was abandoned (logged once per key); the key keeps running");
      }
      schedule(r, options.getTick());
      done.tryComplete();
    });
    here(call(() -> worker.perform(r.key, r.payload))).onComplete((outcome, err) -> {
      if (!vertx.cancelTimer(timer)) {
        return; // abandoned
      }
      if (r.phase != KeyRunner.Phase.RUNNING) {
        done.complete();
        return;
      }
      if (err != null || outcome == null) {
        log.debug("Worker set '" + name + "': perform of '" + r.key + "' failed: " + err);
        schedule(r, options.getTick());
        done.complete();
        return;
      }
      apply(r, outcome).onComplete(x -> done.complete());
    });
    return done.future();
  }

  private Future<?> apply(KeyRunner r, WorkOutcome outcome) {
    switch (outcome.kind()) {
      case REPLACE -> {
        String enc = outcome.payload().encode();
        r.payload = outcome.payload();
        r.stored = enc;
        return here(Future.fromCompletionStage(store.replacePayload(r.key, enc)))
          .andThen(x -> schedule(r, options.getTick()));
      }
      case RESCHEDULE -> {
        schedule(r, outcome.delay());
        return Future.succeededFuture();
      }
      case HALT -> {
        finish(r, "halted");
        return here(Future.fromCompletionStage(store.removePayload(r.key)))
          .eventually(() -> here(Future.fromCompletionStage(store.release(r.key, r.lease))));
      }
      case RENAME -> {
        String newKey;
        String enc;
        try {
          newKey = KeyRules.key(outcome.newKey());
          enc = KeyRules.json("payload", outcome.payload());
        } catch (CloisterException e) {
          log.warn("Worker set '" + name + "': '" + r.key + "' asked for a bad rename (" + e.getMessage()
            + "); it keeps running");
          schedule(r, options.getTick());
          return Future.succeededFuture();
        }
        // The new key first: a crash between the two writes leaves both, never neither.
        return here(Future.fromCompletionStage(store.putPayload(newKey, enc))).compose(x -> {
          finish(r, "renamed");
          return here(Future.fromCompletionStage(store.removePayload(r.key)))
            .eventually(() -> here(Future.fromCompletionStage(store.release(r.key, r.lease))));
        });
      }
      default -> {
        schedule(r, options.getTick());
        return Future.succeededFuture();
      }
    }
  }

  /** Stops a key here: no callback follows for it. */
  private void finish(KeyRunner r, String reason) {
    if (r.phase == KeyRunner.Phase.STOPPED) {
      return;
    }
    r.phase = KeyRunner.Phase.STOPPED;
    if (r.timer >= 0) {
      vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    r.cancelQueued();
    runners.remove(r.key, r);
    localKeys.remove(r.key);
    if (r.started) {
      try {
        worker.stop(r.key, r.payload, reason);
      } catch (RuntimeException e) {
        log.warn("Worker set '" + name + "': stop of '" + r.key + "' threw " + e);
      }
    }
  }

  /**
   * Hands a key off: marks its lease as handing off, waits for the callback in flight, hands off
   * and stops, stores the carried payload, then releases the lease.
   */
  private Future<Void> leave(KeyRunner r, String reason) {
    if (r.phase == KeyRunner.Phase.STOPPED || r.phase == KeyRunner.Phase.LEAVING) {
      return Future.succeededFuture();
    }
    r.phase = KeyRunner.Phase.LEAVING;
    if (r.timer >= 0) {
      vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    r.cancelQueued();
    String held = r.lease;
    String moving = Lease.decode(held).handingOff().encode();
    // Set before the write, so that our own change is not taken for a lost lease when it comes back.
    r.lease = moving;
    Future<Boolean> marked = here(Future.fromCompletionStage(store.replaceLease(r.key, held, moving)));
    Promise<Void> done = context.promise();
    r.submit(new KeyRunner.Action() {
      @Override
      public Future<?> run() {
        // The mailbox ran the start (if it was queued) before this: a started key is handed off.
        Future<JsonObject> carried = r.started ? handOff(r) : Future.succeededFuture(r.payload);
        // The release must follow the mark: it removes the lease only with the value it holds.
        return Future.join(carried, marked).transform(x -> carried).compose(payload -> {
          if (r.started && "moved".equals(reason)) {
            metrics.handoff();
          }
          r.payload = payload;
          finish(r, reason);
          String enc = payload.encode();
          Future<?> stored = enc.equals(r.stored) ? Future.succeededFuture()
            : here(Future.fromCompletionStage(store.replacePayload(r.key, enc)));
          return stored.eventually(() -> here(Future.fromCompletionStage(store.release(r.key, r.lease))));
        }).onComplete(x -> done.complete());
      }

      @Override
      public void cancel() {
        done.tryComplete();
      }
    });
    return done.future();
  }

  private Future<JsonObject> handOff(KeyRunner r) {
    Promise<JsonObject> out = context.promise();
    long timer = context.setTimer(options.getHandoffTimeout(), id -> {
      log.warn("Worker set '" + name + "': hand-off of '" + r.key + "' took over " + options.getHandoffTimeout()
        + " ms; the last stored payload moves");
      out.tryComplete(r.payload);
    });
    here(call(() -> worker.handOff(r.key, r.payload))).onComplete((p, err) -> {
      vertx.cancelTimer(timer);
      if (err != null || p == null) {
        if (err != null) {
          log.warn("Worker set '" + name + "': hand-off of '" + r.key + "' failed (" + err
            + "); the last stored payload moves");
        }
        out.tryComplete(r.payload);
      } else {
        out.tryComplete(p);
      }
    });
    return out.future();
  }

  /** Stops every key at once without hand-off or release: quorum lost, or the node gone. */
  private void stopAll(String reason) {
    generation++;
    for (Pending p : pending.values()) {
      if (p.timer >= 0) {
        vertx.cancelTimer(p.timer);
      }
    }
    pending.clear();
    ready.clear();
    // In chunks; meanwhile quorate is false, so no perform, call or cast starts for the keys not
    // stopped yet.
    chunked(new ArrayList<>(runners.values()), r -> finish(r, reason));
  }

  // ---- events ----

  private void onKey(String key, String value) {
    if (store == null) {
      return;
    }
    KeyRunner r = runners.get(key);
    if (value == null) {
      Pending p = pending.remove(key);
      if (p != null && p.timer >= 0) {
        vertx.cancelTimer(p.timer);
      }
      if (r != null && (r.phase == KeyRunner.Phase.RUNNING || r.phase == KeyRunner.Phase.STARTING)) {
        r.cancelQueued();
        r.submit(() -> {
          finish(r, "deleted");
          return here(Future.fromCompletionStage(store.release(key, r.lease)));
        });
      }
      return;
    }
    if (r != null) {
      if (!value.equals(r.stored) && r.phase != KeyRunner.Phase.STOPPED) {
        try {
          r.payload = new JsonObject(value);
          r.stored = value;
        } catch (DecodeException e) {
          return;
        }
        if (options.getTick() == 0) {
          requestPerform(r);
        }
      }
      return;
    }
    if (quorate && !closing && mine(key)) {
      want(key);
    }
  }

  private void onLease(String key, String value) {
    KeyRunner r = runners.get(key);
    if (r != null && r.phase != KeyRunner.Phase.STOPPED) {
      // Events come asynchronously and may be older than the replica: the removal of the previous
      // holder's lease can arrive after this node took it. Judge by what the replica holds now.
      String current = store.lease(key);
      Lease now = current == null ? null : Lease.decode(current);
      if (now == null || !r.token.equals(now.token())) {
        log.warn("Worker set '" + name + "': the lease of '" + key + "' was taken by "
          + (now == null ? "nobody" : now.node()) + "; the key stops here");
        finish(r, "moved");
      }
      return;
    }
    Pending p = pending.get(key);
    if (p != null && quorate && !closing) {
      enqueue(key, p);
    }
  }

  private void onLeft(Set<String> left) {
    long t = now();
    left.forEach(id -> goneAt.putIfAbsent(id, t));
  }

  // ---- calls and casts ----

  private Future<JsonObject> deliver(String op, String key, JsonObject message) {
    Promise<JsonObject> out = context.promise();
    context.runOnContext(v -> {
      KeyRunner r = runners.get(key);
      if (r == null || r.phase != KeyRunner.Phase.RUNNING || !quorate) {
        here(Future.fromCompletionStage(store.getPayload(key))).onComplete((p, err) -> out.tryFail(
          err == null && p == null ? new CloisterException(CloisterException.NOT_FOUND, "no key '" + key + "' in worker set '"
            + name + "'") : new CloisterException(CloisterException.NO_QUORUM, "key '" + key + "' is not running on "
            + self())));
        return;
      }
      r.submit(new KeyRunner.Action() {
        @Override
        public Future<?> run() {
          if (r.phase != KeyRunner.Phase.RUNNING) {
            cancel();
            return Future.succeededFuture();
          }
          if (WorkersInbox.CAST.equals(op)) {
            try {
              worker.cast(key, r.payload, message);
            } catch (RuntimeException e) {
              log.debug("Worker set '" + name + "': cast to '" + key + "' threw", e);
            }
            out.tryComplete(null);
            afterCall(r);
            return Future.succeededFuture();
          }
          long timer = context.setTimer(options.getPerformTimeout(), id -> out.tryFail(new CloisterException(504,
            "the worker of '" + key + "' did not answer within " + options.getPerformTimeout() + " ms")));
          Future<JsonObject> reply = here(call(() -> worker.call(key, r.payload, message)));
          reply.onComplete((value, err) -> {
            vertx.cancelTimer(timer);
            if (err == null) {
              out.tryComplete(value);
            } else {
              out.tryFail(err instanceof CloisterException ? err
                : new CloisterException(500, "the worker of '" + key + "' failed: " + err.getMessage()));
            }
            afterCall(r);
          });
          // The mailbox waits for the reply, bounded by the call's timeout.
          return out.future().transform(x -> Future.succeededFuture());
        }

        @Override
        public void cancel() {
          out.tryFail(new CloisterException(CloisterException.NO_QUORUM, "key '" + key + "' stopped on " + self()));
        }
      });
    });
    return out.future();
  }

  private void afterCall(KeyRunner r) {
    if (options.getTick() == 0) {
      requestPerform(r);
    }
  }

  private Future<JsonObject> route(String op, String key, JsonObject message) {
    String body;
    try {
      KeyRules.key(key);
      body = KeyRules.json("message", message);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
    Promise<JsonObject> out = context.promise();
    long deadline = now() + options.getHandoffTimeout();
    attempt(WorkersInbox.body(op, key, message), key, deadline, out, body.length());
    return out.future();
  }

  private void attempt(JsonObject body, String key, long deadline, Promise<JsonObject> out, int size) {
    String nodeId = null;
    CloisterException why = null;
    try {
      nodeId = nodeIdOf(ownerOf(key));
    } catch (CloisterException e) {
      why = e;
    }
    if (nodeId == null) {
      retry(body, key, deadline, out, size, why != null ? why : new CloisterException(CloisterException.NO_QUORUM,
        "the owner of '" + key + "' is not a member"));
      return;
    }
    DeliveryOptions o = new DeliveryOptions().setSendTimeout(options.getPerformTimeout() + 1000);
    vertx.eventBus().<JsonObject>request(WorkersInbox.address(cloister.addressPrefix(), name, nodeId), body, o)
      .onComplete((reply, err) -> {
        if (err == null) {
          out.tryComplete(reply.body());
          return;
        }
        if (err instanceof ReplyException re) {
          switch (re.failureType()) {
            case NO_HANDLERS -> retry(body, key, deadline, out, size, new CloisterException(CloisterException.NO_QUORUM,
              "no node runs worker set '" + name + "' for '" + key + "'"));
            case TIMEOUT -> out.tryFail(new CloisterException(504, "no reply for '" + key + "' within "
              + o.getSendTimeout() + " ms"));
            default -> {
              CloisterException ce = new CloisterException(re.failureCode(), re.getMessage());
              if (re.failureCode() == CloisterException.NO_QUORUM) {
                retry(body, key, deadline, out, size, ce);
              } else {
                out.tryFail(ce);
              }
            }
          }
        } else {
          out.tryFail(new CloisterException(500, String.valueOf(err.getMessage())));
        }
      });
  }

  private void retry(JsonObject body, String key, long deadline, Promise<JsonObject> out, int size,
                     CloisterException why) {
    if (now() >= deadline || closing) {
      out.tryFail(new CloisterException(CloisterException.NO_QUORUM, "no owner ran '" + key + "' within "
        + options.getHandoffTimeout() + " ms: " + why.getMessage()));
      return;
    }
    context.setTimer(RETRY_MS, id -> attempt(body, key, deadline, out, size));
  }

  private String nodeIdOf(String node) {
    for (CloisterMember m : cloister.state().getMembers()) {
      if (m.getName().equals(node)) {
        return m.getNodeId();
      }
    }
    return null;
  }

  // ---- helpers ----

  /** A worker's future, completed on the set's context (null or a throw become failures). */
  private <T> Future<T> here(Future<T> f) {
    Promise<T> p = context.promise();
    if (f == null) {
      p.fail(new IllegalStateException("the worker returned no future"));
    } else {
      f.onComplete(p);
    }
    return p.future();
  }

  private static <T> Future<T> call(java.util.function.Supplier<Future<T>> callback) {
    try {
      return callback.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void checkWritable() {
    if (!quorate) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + name + "' on " + self()
        + " is not quorate");
    }
    if (closing) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + name + "' is closed on this node");
    }
  }

  // ---- the API ----

  @Override
  public Future<Void> put(String key, JsonObject payload) {
    try {
      KeyRules.key(key);
      String enc = KeyRules.json("payload", payload);
      checkWritable();
      return here(Future.fromCompletionStage(store.putPayload(key, enc))).mapEmpty();
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Boolean> putNew(String key, JsonObject payload) {
    try {
      KeyRules.key(key);
      String enc = KeyRules.json("payload", payload);
      checkWritable();
      return here(Future.fromCompletionStage(store.putPayloadIfAbsent(key, enc))).map(prev -> prev == null);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Boolean> delete(String key) {
    try {
      KeyRules.key(key);
      checkWritable();
      return here(Future.fromCompletionStage(store.removePayload(key))).map(prev -> prev != null);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<JsonObject> get(String key) {
    try {
      KeyRules.key(key);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
    return here(Future.fromCompletionStage(store.getPayload(key))).map(s -> s == null ? null : new JsonObject(s));
  }

  @Override
  public Future<JsonObject> call(String key, JsonObject message) {
    return route(WorkersInbox.CALL, key, message);
  }

  @Override
  public void cast(String key, JsonObject message) {
    KeyRules.key(key);
    KeyRules.json("message", message);
    route(WorkersInbox.CAST, key, message).onFailure(err -> log.debug("Worker set '" + name + "': cast to '" + key
      + "' was not delivered: " + err.getMessage()));
  }

  @Override
  public String ownerOf(String key) {
    KeyRules.key(key);
    HashRing r = ring;
    if (r == null) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + name + "' has no ring on "
        + self() + ": not quorate yet, or no member of group '" + group + "' runs it");
    }
    return r.owner(key);
  }

  @Override
  public Set<String> localKeys() {
    return Collections.unmodifiableSet(Set.copyOf(localKeys));
  }

  @Override
  public Future<Long> size() {
    return here(Future.fromCompletionStage(store.size()));
  }

  @Override
  public Future<Void> close() {
    Promise<Void> out = Promise.promise();
    context.runOnContext(v -> {
      if (closed == null) {
        closed = closeHere();
      }
      closed.onComplete(out);
    });
    return out.future();
  }

  private Future<Void> closeHere() {
    closing = true;
    generation++;
    for (Pending p : pending.values()) {
      if (p.timer >= 0) {
        vertx.cancelTimer(p.timer);
      }
    }
    pending.clear();
    ready.clear();
    String me = self();
    HashRing r0 = ring;
    boolean others = r0 != null && r0.members().stream().anyMatch(m -> !m.equals(me));
    String reason = others ? "moved" : "closed";
    List<Future<Void>> leaving = new ArrayList<>();
    // Withdrawn first, so that the others rebuild their rings without this node and wait for its
    // releases while it hands off.
    Future<?> withdrawn = announced && me != null
      ? here(Future.fromCompletionStage(store.withdraw(me, selfId))).recover(err -> Future.succeededFuture())
      : Future.succeededFuture();
    return withdrawn.compose(w -> chunked(new ArrayList<>(runners.values()), r -> leaving.add(leave(r, reason))))
      .compose(v -> Future.join(leaving))
      .transform(x -> {
        quorate = false;
        unhook.run();
        if (states != null) {
          states.handler(null);
        }
        store.close();
        metrics.close();
        return inbox.close().transform(y -> Future.<Void>succeededFuture());
      });
  }
}
