package dev.cloister.impl.workers;

import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterStatus;
import dev.cloister.ShardedWorkers;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.impl.CloisterImpl;
import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.transport.LocalCaches;
import dev.cloister.impl.transport.NodeTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A sharded worker set on one node: which keys it runs, their leases, hand-offs and calls.
 *
 * <p>All mutable state is confined to the set's own event-loop context: Infinispan's callbacks and
 * Cloister's state changes hop onto it. The scan of the local replica runs on a worker thread; what
 * comes back to the context, and every pass over the running keys, is processed in chunks.
 *
 * <p>A key runs here only while this node is quorate, owns the key in the group's ring and holds
 * the segment of the key's cell lease that covers it (see {@link CellLease}, {@link LeaseRules}).
 * A key that moves away waits for the callback in flight, is handed off and stopped, its payload
 * stored, and only then is its part of the cell freed, so the next owner never starts it earlier.
 *
 * <p>This class is the set's public face (argument checks, writes, opening and closing); its parts
 * share one {@link SetState}: {@link Rebalancer} follows quorum, the ring and the store's events,
 * {@link LeaseTaker} takes cells' segments, {@link RunningKeys} runs the keys, {@link CellWrites}
 * writes the cells, and {@link CallRouter} routes calls and casts.
 */
public final class WorkerSet implements ShardedWorkers {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);
  /** How many items one turn of the context handles before it yields. */
  static final int CHUNK = 512;
  /** Pause before a caller asks again for a key that is not running yet, ms. */
  static final long RETRY_MS = 50;
  /**
   * How often a quorate node re-reads its replica for keys it owns that run nowhere here, ms: the
   * repair of a lost event or a failed write, at the cost of one scan of the replica on a worker
   * thread.
   */
  static final long SWEEP_MS = 10_000;

  private final SetState set;
  private final RunningKeys keys;
  private final LeaseTaker leases;
  private final CallRouter router;
  private final Rebalancer rebalancer;
  private final WorkersInbox inbox;
  private Runnable unhook = () -> { };
  /** Takes the set off this node's list (see {@link dev.cloister.impl.WorkSets#list}). */
  private Runnable unlist = () -> { };
  private Future<Void> closed;
  private io.vertx.core.streams.ReadStream<dev.cloister.StateChange> states;

  private WorkerSet(VertxInternal vertx, String name, WorkersOptions options, long fence, Worker worker,
                    CloisterImpl cloister) {
    this.set = new SetState(vertx, name, options, fence, worker, cloister);
    this.keys = new RunningKeys(set);
    this.leases = new LeaseTaker(set, keys);
    this.router = new CallRouter(set, keys);
    this.rebalancer = new Rebalancer(set, leases, keys);
    this.inbox = new WorkersInbox(router::deliver);
  }

  /**
   * See {@link ShardedWorkers#start}.
   *
   * @param vertx a Vert.x running a Cloister (clustered, or a node of one)
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
      // A node of one has no peer whose silence the fence waits out.
      long fence = DetectionBound.fence(o.getFence(), vertx.isClustered()
        ? NodeTransport.of(vertx).failureDetectionBound() : 0);
      Cloister c = Cloister.of(vertx);
      if (!(c instanceof CloisterImpl impl)) {
        throw new IllegalStateException("Worker set '" + name + "' needs the Cloister of this Vert.x");
      }
      CloisterStatus status = impl.state().getStatus();
      if (status == CloisterStatus.STOPPING || status == CloisterStatus.STOPPED) {
        // Its leave has closed the sets it had: this one would never run, nor be closed.
        throw new CloisterException(CloisterException.NO_QUORUM, "Worker set '" + name + "' cannot start: the Cloister "
          + "of this Vert.x is " + status);
      }
      set = new WorkerSet((VertxInternal) vertx, name, o, fence, worker, impl);
      try {
        set.unlist = impl.workSets().list(name, set.set.localKeys::size);
      } catch (RuntimeException e) {
        set.set.releasePool();
        throw e;
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return set.open();
  }

  private Future<ShardedWorkers> open() {
    Promise<ShardedWorkers> result = set.context.promise();
    set.context.runOnContext(v -> set.context.executeBlocking(() -> KeyStore.open(caches(set.vertx), set.name,
        (k, val) -> set.context.runOnContext(x -> rebalancer.onKey(k, val)),
        (k, val) -> set.context.runOnContext(x -> rebalancer.onCell(k)),
        (k, val) -> set.context.runOnContext(x -> rebalancer.onNode(k, val)),
        (left, members) -> set.context.runOnContext(x -> rebalancer.onView(left, members))), false)
      .compose(ks -> {
        set.store = ks;
        set.selfId = ks.selfId();
        return inbox.open(set.vertx, WorkersInbox.address(set.cloister.addressPrefix(), set.name, set.selfId));
      })
      .onComplete((x, err) -> {
        if (err != null) {
          if (set.store != null) {
            set.store.close();
          }
          set.releasePool();
          unlist.run();
          result.fail(err);
          return;
        }
        Runnable leaveHook = set.cloister.beforeLeave(this::close);
        unhook = () -> {
          leaveHook.run();
          unlist.run();
        };
        states = set.cloister.stateStream();
        states.handler(change -> set.context.runOnContext(y -> rebalancer.onState(set.cloister.state())));
        rebalancer.onState(set.cloister.state());
        set.sweepTimer = set.context.setPeriodic(SWEEP_MS, id -> rebalancer.sweep());
        result.complete(this);
      }));
    return result.future();
  }

  /**
   * @param vertx the set's Vert.x
   * @return the caches of its cluster, or of this node alone when it is not clustered. Blocks (a node
   *     of one starts its cache manager on the first set).
   */
  private static EmbeddedCacheManager caches(VertxInternal vertx) {
    return vertx.isClustered() ? (EmbeddedCacheManager) ((InfinispanClusterManager) vertx.clusterManager())
      .getCacheContainer() : LocalCaches.of(vertx);
  }

  private void checkWritable() {
    if (!set.quorate) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + set.name + "' on " + set.self()
        + " is not quorate");
    }
    if (set.closing) {
      throw new CloisterException(CloisterException.NO_QUORUM, "worker set '" + set.name + "' is closed on this node");
    }
  }

  // ---- the API ----

  @Override
  public Future<Void> put(String key, JsonObject payload) {
    try {
      KeyRules.key(key);
      String enc = KeyRules.json("payload", payload);
      checkWritable();
      return set.here(Future.fromCompletionStage(set.store.putPayload(key, enc))).mapEmpty();
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
      return set.here(Future.fromCompletionStage(set.store.putPayloadIfAbsent(key, enc))).map(prev -> prev == null);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Boolean> delete(String key) {
    try {
      KeyRules.key(key);
      checkWritable();
      return set.here(Future.fromCompletionStage(set.store.removePayload(key))).map(prev -> prev != null);
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
    return set.here(Future.fromCompletionStage(set.store.getPayload(key))).map(s -> s == null ? null : new JsonObject(s));
  }

  @Override
  public Future<JsonObject> call(String key, JsonObject message) {
    return router.route(WorkersInbox.CALL, key, message);
  }

  @Override
  public void cast(String key, JsonObject message) {
    KeyRules.key(key);
    KeyRules.json("message", message);
    router.route(WorkersInbox.CAST, key, message).onFailure(err -> log.debug("Worker set '" + set.name + "': cast to '" + key
      + "' was not delivered: " + err.getMessage()));
  }

  @Override
  public String ownerOf(String key) {
    return set.ownerOf(key);
  }

  @Override
  public Set<String> localKeys() {
    return Collections.unmodifiableSet(Set.copyOf(set.localKeys));
  }

  @Override
  public Future<Long> size() {
    return set.context.executeBlocking(set.store::size, false);
  }

  @Override
  public Future<Void> close() {
    Promise<Void> out = Promise.promise();
    set.context.runOnContext(v -> {
      if (closed == null) {
        closed = closeHere();
      }
      closed.onComplete(out);
    });
    return out.future();
  }

  private Future<Void> closeHere() {
    set.closing = true;
    if (set.sweepTimer >= 0) {
      set.vertx.cancelTimer(set.sweepTimer);
      set.sweepTimer = -1;
    }
    set.generation++;
    leases.clear();
    String me = set.self();
    HashRing r0 = set.ring;
    boolean others = r0 != null && r0.members().stream().anyMatch(m -> !m.equals(me));
    String reason = others ? "moved" : "closed";
    List<Future<Void>> leaving = new ArrayList<>();
    // Withdrawn first, so that the others rebuild their rings without this node and wait for its
    // releases while it hands off.
    Future<?> withdrawn = set.announcedAs != null && me != null
      ? set.here(Future.fromCompletionStage(set.store.withdraw(me, set.announcedAs)))
        .recover(err -> Future.succeededFuture())
      : Future.succeededFuture();
    // What this node frees on its way out goes to the owners of the ring without it (built on a
    // worker, as every ring of the set: a large cluster's ring takes a while).
    Future<HashRing> heirRing = others
      ? set.context.executeBlocking(() -> r0.rebuild(r0.members().stream().filter(m -> !m.equals(me)).toList()), false)
      : Future.succeededFuture();
    return withdrawn.compose(w -> heirRing.recover(err -> Future.succeededFuture()))
      .compose(hr -> {
        set.heirRing = hr;
        return set.chunked(set.runners.byCell(), r -> leaving.add(keys.leave(r, reason)));
      })
      .compose(v -> Future.join(leaving))
      // Every segment this node still holds goes (closing: it owns none), the ones of keys it never ran too.
      .transform(x -> rebalancer.tidy())
      // Releases and removals of keys that stopped before the close are still queued: they go first.
      .transform(x -> set.writesDone())
      // No key runs here any more: a segment handed to this node after its tidy-up (by a node that
      // closes at the same time, say) is free for its owner to take at once.
      .transform(x -> set.here(Future.fromCompletionStage(set.store.recordClosed(set.ownLease()))))
      .transform(x -> {
        set.quorate = false;
        unhook.run();
        if (states != null) {
          states.handler(null);
        }
        set.store.close();
        set.metrics.close();
        set.releasePool();
        return inbox.close().transform(y -> Future.<Void>succeededFuture());
      });
  }
}
