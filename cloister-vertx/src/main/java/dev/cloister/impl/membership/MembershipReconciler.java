package dev.cloister.impl.membership;

import dev.cloister.CloisterException;
import dev.cloister.impl.transport.NodeTransport;
import dev.cloister.impl.transport.Standstills;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.logging.Logger;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps the members cache true for this node: reads it (one read at a time, coalescing the
 * changes that arrive meanwhile), purges the records of nodes that left the view, removes
 * records that claim this node's id under another name, and writes this node's own record when
 * the stored one differs from what it should say.
 *
 * <p>The rules are pure functions ({@link ReconcileRules}); this
 * class only applies them. Confined to the node's context; blocking cache reads run as ordered
 * blocking tasks, writes through the cache's async API.
 */
public final class MembershipReconciler {

  /** The pause after a failed write of this node's record, doubled with each failure in a row. */
  private static final long WRITE_RETRY_DELAY = 500;
  /** The longest pause between two failed writes of this node's record, ms. */
  private static final long MAX_WRITE_RETRY_DELAY = 4_000;
  /** How long a record write or purge may take before it is given up and tried again, ms. */
  static final long WRITE_TIMEOUT_MS = 5_000;
  /** How often one view may purge the same departed member's record. */
  private static final int MAX_PURGES_PER_VIEW = 3;
  /** How often the cache is read again while some record disagrees with this node's checksum, ms. */
  private static final long STALE_READ_EVERY_MS = 1_000;
  /**
   * The longest time between two reads of the cache, ms, whether or not anything changed: a change
   * whose notification came late or never (a topology change can drop one) is seen that late at most.
   */
  static final long READ_AT_LEAST_EVERY_MS = 5_000;
  /** The least time between two writes of this node's record asked for by other nodes, ms. */
  private static final long ASKED_WRITE_EVERY_MS = 1_000;

  private final Vertx vertx;
  private final Context context;
  /**
   * Cloister's own worker threads ({@link dev.cloister.impl.transport.BlockingPools#NODE}): the
   * cache's reads and writes, and the asks to rewrite a record, which are sent from there because
   * the clustered event bus looks the address's registrations up on the sender's thread and
   * vertx-infinispan's lookup can wait for JGroups' flow-control credits (measured on the
   * real-network rig after a heal: an event loop blocked for 3.3 s in {@code SubsCacheHelper.get}).
   */
  private final WorkerExecutor blocking;
  private final MembersCache members;
  private final MemberRecord self;
  private final Consumer<MembersCache.Snapshot> onSnapshot;
  private final BooleanSupplier active;
  private final Logger log;
  private final Supplier<String> label;
  private final SelfSuspicion suspicion;
  private final NodeTransport.Liveness liveness;
  private final Runnable stopWatchingStandstills;
  private final long freshnessTimer;
  /** The members counted at the last read. */
  private Set<String> lastCounted = Set.of();
  private final Set<String> knownNodeIds = new HashSet<>();
  private final Set<String> purging = new HashSet<>();
  /** Node ids this node saw with a record. */
  private final Set<String> withRecords = new HashSet<>();
  /** Node ids this node saw leave its view: back in it, they count only once their record is. */
  private final Set<String> leftView = new HashSet<>();
  /** The returning members whose records this node waits for, as last logged. */
  private Set<String> awaited = Set.of();
  /** Whether the last count held this node to itself only while it waits for returning members' records. */
  private volatile boolean waitingForReturning;
  /** How often each departed member was purged in the current view, by name. */
  private final Map<String, Purges> purgedInView = new HashMap<>();

  private record Purges(long viewId, int times) {
  }
  private boolean refreshing;
  /** When the last read began, {@link System#nanoTime()}. */
  private long lastReadAt = System.nanoTime();
  private boolean refreshAgain;
  private boolean writing;
  /** Completes once every write of this node's record issued so far has ended. */
  private Future<Void> lastWrite = Future.succeededFuture();
  /** The number of the last write of this node's record issued: an earlier one still in flight is superseded. */
  private long writeSeq;
  /** The id of the view in which the last write of this node's record was issued, {@code -2} before any. */
  private long issuedInView = -2;
  /** The id of the view in which this node's record was last written, {@code -2} before any. */
  private long writtenInView = -2;
  /** The nodes the last completed write of this node's record was issued to (its write owners then). */
  private Set<String> writtenTo = Set.of();
  /** What this node's record should say, as last reported. */
  private MemberRecord desired;
  private boolean confirming;
  private boolean closed;
  /** Failed writes of this node's record in a row (reports and confirmations alike). */
  private int failedWrites;
  /** No write of this node's record is issued before this time ({@link System#nanoTime()}). */
  private long writeAgainAt = System.nanoTime();
  /** The records that disagree with this node's checksum on its replica, and whom to ask about them. */
  private final StaleRecords stale = new StaleRecords();
  private final long staleTimer;
  /** Where other nodes ask this node to write its record again. */
  private final String rewriteAddress;
  private final String addressPrefix;
  private MessageConsumer<Object> rewrites;
  /** Whether another node asked for a write of this node's record that has not started yet. */
  private boolean rewriteAsked;
  private long askedWriteAt = Long.MIN_VALUE;

  /**
   * Creates the reconciler of a node that holds its name.
   *
   * @param vertx the node's Vert.x
   * @param context the node's context
   * @param blocking Cloister's own worker threads, where the reconciler blocks
   * @param members the opened members cache
   * @param self this node's record as claimed
   * @param onSnapshot called on the context with every read, after purges and healing were started
   * @param active whether reads are wanted now (the node is rehashing or ready)
   * @param log where to log
   * @param label the node's label for logs
   * @param suspicion whether this node stood still long enough to suspect itself
   * @param liveness whom this node has heard from lately, or {@code null} when the transport cannot
   *     tell (then every member in the view counts)
   * @param addressPrefix the event-bus address prefix, under which other nodes ask this node to write
   *     its record again
   */
  public MembershipReconciler(Vertx vertx, Context context, WorkerExecutor blocking, MembersCache members,
                              MemberRecord self,
                              Consumer<MembersCache.Snapshot> onSnapshot, BooleanSupplier active, Logger log,
                              Supplier<String> label, SelfSuspicion suspicion, NodeTransport.Liveness liveness,
                              String addressPrefix) {
    this.vertx = vertx;
    this.context = context;
    this.blocking = blocking;
    this.members = members;
    this.self = self;
    this.onSnapshot = onSnapshot;
    this.active = active;
    this.log = log;
    this.label = label;
    this.suspicion = suspicion;
    this.liveness = liveness;
    this.desired = self;
    this.addressPrefix = addressPrefix;
    this.rewriteAddress = rewriteAddress(addressPrefix, self.nodeId());
    context.runOnContext(v -> {
      if (!closed) {
        rewrites = vertx.eventBus().consumer(rewriteAddress, this::onRewriteAsked);
      }
    });
    // A disagreement that no event ends (a stale replica, a missed event) is looked at again, and
    // the cache is read now and then even when no event came.
    this.staleTimer = vertx.setPeriodic(STALE_READ_EVERY_MS, id -> context.runOnContext(v -> {
      if (!closed && (stale.pending() || System.nanoTime() - lastReadAt > READ_AT_LEAST_EVERY_MS * 1_000_000L)) {
        refresh();
      }
    }));
    // Evidence goes stale without any event: look again a few times per window.
    this.freshnessTimer = liveness == null ? -1 : vertx.setPeriodic(Math.max(50, liveness.windowMs() / 4), id ->
      context.runOnContext(v -> {
        if (!closed && !lastCounted.equals(liveness.watch().heardWithin(liveness.windowMs()))) {
          refresh();
        }
      }));
    this.stopWatchingStandstills = Standstills.jvm().onStandstill(ms -> {
      if (ms >= suspicion.minStallMs()) {
        context.runOnContext(v -> {
          log.warn(label.get() + " stood still for " + ms + " ms, long enough to have been evicted: it counts only "
            + "itself until the others confirm it");
          refresh();
        });
      }
    });
  }

  /** @return this node's record as claimed */
  public MemberRecord self() {
    return self;
  }

  /** Reads the cache and hands the snapshot on; a read asked for during a read runs once after it. */
  public void refresh() {
    if (closed || !active.getAsBoolean()) {
      return;
    }
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    lastReadAt = System.nanoTime();
    read().onComplete((snap, err) -> {
      refreshing = false;
      if (err != null) {
        if (active.getAsBoolean()) {
          log.warn(label.get() + " cannot read the membership: " + err.getMessage());
        }
      } else {
        onSnapshot.accept(snap);
      }
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
  }

  /**
   * Reads the cache once, on a worker.
   *
   * @return the snapshot
   */
  public Future<MembersCache.Snapshot> read() {
    return blocking.executeBlocking(members::snapshot, true);
  }

  /**
   * The node ids whose records count towards quorum: those of the view this node heard from within
   * the failure detector's timeout, or only this node while it suspects itself after a standstill
   * (and then the confirmation is under way), or none while its own record is missing from its
   * replica.
   *
   * @param snap a snapshot
   * @return the ids to count
   */
  public Set<String> countedView(MembersCache.Snapshot snap) {
    long end = suspicion.pending();
    Set<String> returning = ReconcileRules.returningWithoutRecord(snap, leftView);
    leftView.removeIf(id -> snap.view().contains(id) && !returning.contains(id));
    if (!returning.equals(awaited) && !returning.isEmpty()) {
      log.info(label.get() + " waits for the records of members back in its view: " + returning);
    }
    awaited = returning;
    waitingForReturning = end == Long.MIN_VALUE && !returning.isEmpty();
    if (end != Long.MIN_VALUE) {
      confirm(end);
      lastCounted = Set.of(self.nodeId());
    } else if (!returning.isEmpty()) {
      // Their records were purged while they were away (here or on the other side of a cut) and
      // are not back on this replica yet: a ring without them would differ from the others' rings.
      lastCounted = Set.of(self.nodeId());
    } else if (!ReconcileRules.holdsOwnRecord(snap, self)) {
      // This node's own record is not on its replica (purged on the other side of a cut, its
      // rewrite not landed yet): a ring without this node is no ring it may answer for. Seen on
      // the real-network rig after a heal: a node READY and quorate on a ring of four without
      // itself beside another node READY on all five, for 5 s.
      lastCounted = Set.of();
    } else {
      lastCounted = liveness == null ? snap.view() : liveness.watch().heardWithin(liveness.windowMs());
    }
    return lastCounted;
  }

  /**
   * While this node counts only itself because it waits for the records of members back in its
   * view (and for nothing else: not after a standstill), the node ids it has fresh evidence of now,
   * as it would count them without the wait.
   *
   * @return those ids, or {@code null} when it is not waiting so, or its transport gives no evidence
   */
  public Set<String> evidenceWhileWaiting() {
    return waitingForReturning ? evidence() : null;
  }

  /**
   * The node ids this node has fresh evidence of now (not after a standstill, while it suspects
   * itself).
   *
   * @return those ids, or {@code null} when its transport gives no evidence or it suspects itself
   */
  public Set<String> evidence() {
    if (liveness == null || suspicion.pending() != Long.MIN_VALUE) {
      return null;
    }
    return liveness.watch().heardWithin(liveness.windowMs());
  }

  /**
   * Gathers the fresh evidence that clears a standstill: once the hold is over, a write of this
   * node's record that completes.
   */
  private void confirm(long end) {
    if (confirming || closed) {
      return;
    }
    confirming = true;
    long backoff = (writeAgainAt - System.nanoTime()) / 1_000_000;
    vertx.setTimer(Math.max(1, Math.max(suspicion.untilDue(end), backoff)), id -> {
      if (closed) {
        return;
      }
      long startedAt = System.nanoTime();
      MemberRecord record = desired;
      long viewId = members.viewId();
      Set<String> owners = members.writeOwners(record.name());
      offLoop(() -> members.write(record)).onComplete((v, err) -> {
        confirming = false;
        written(err);
        if (err == null && suspicion.clear(end, startedAt)) {
          writtenInView = viewId;
          writtenTo = owners;
          log.info(label.get() + " confirmed its membership after the standstill");
        } else if (err != null) {
          log.warn(label.get() + " could not confirm its membership after the standstill: " + describe(err));
        }
        // An early confirmation is tried again from this read, a failed one after the pause.
        refresh();
      });
    });
  }

  /**
   * Purges departed members and impostors of this node.
   *
   * @param snap a snapshot just read
   * @return whether this node may write its record under its name
   */
  public boolean reconcile(MembersCache.Snapshot snap) {
    purgedInView.values().removeIf(p -> p.viewId() != snap.viewId());
    for (String name : ReconcileRules.departed(snap, knownNodeIds)) {
      // A few times per view only: views differ between nodes for a while after cuts, and a node
      // alive in the others' view writes its record back at once; purging it again and again made
      // a storm of removals and rewrites (hundreds per second) until the views agreed. A record
      // not purged stays out of this node's membership anyway: its node is not in the view.
      if (purging.contains(name)) {
        continue;
      }
      Purges p = purgedInView.merge(name, new Purges(snap.viewId(), 1), (a, b) -> new Purges(a.viewId(), a.times() + 1));
      if (p.times() <= MAX_PURGES_PER_VIEW) {
        purge(snap, name, " purged departed member " + name + " (" + snap.records().get(name).nodeId() + ")", false);
      }
    }
    snap.records().values().forEach(r -> withRecords.add(r.nodeId()));
    for (String id : knownNodeIds) {
      // Only Cloister's members: a plain Vert.x node in the cluster never has a record.
      if (!snap.view().contains(id) && withRecords.contains(id)) {
        leftView.add(id);
      }
    }
    knownNodeIds.addAll(snap.view());
    for (String name : ReconcileRules.impostors(snap, self)) {
      purge(snap, name, " removed a record that claimed its node id under the name " + name, true);
    }
    MemberRecord stored = snap.records().get(self.name());
    if (!ReconcileRules.mayWrite(snap, self)) {
      log.error(label.get() + " another live node (" + stored.nodeId() + ") holds this node's name; "
        + "node names must be unique");
      return false;
    }
    if (!ReconcileRules.holdsOwnRecord(snap, self) && !writing) {
      // Lost in a merge or purged by a side that thought this node gone: report() writes it back.
      log.info(label.get() + " restoring its member record");
    }
    return true;
  }

  private void purge(MembersCache.Snapshot snap, String name, String done, boolean warn) {
    if (!purging.add(name)) {
      return;
    }
    offLoop(() -> members.purge(name, snap.raw().get(name), snap.records().get(name).nodeId())).onComplete((removed, err) -> {
      purging.remove(name);
      if (Boolean.FALSE.equals(removed)) {
        // Changed since this snapshot (reads asked for meanwhile skipped this name): read again.
        refresh();
      } else if (Boolean.TRUE.equals(removed)) {
        if (warn) {
          log.warn(label.get() + done);
        } else {
          log.info(label.get() + done);
        }
      }
    });
  }

  /**
   * Writes this node's record when the stored one differs from what it should say. The stored
   * record is compared, not the last one written: a write can be overtaken (two puts of the same
   * key in flight across a view change land in either order) and the cluster would then never
   * converge on a stale checksum. One write at a time, except that each new view may issue one
   * while an earlier write is still unanswered; each is followed by a fresh read.
   *
   * <p>It is also written once in every new view, even when the local replica shows it as it
   * should be: after a merge the replicas may disagree (a side that purged this node keeps a value
   * without it), and only a write in the merged view makes them agree again. After a merge it is
   * written once more when the cache's topology takes in nodes the last write did not reach: the
   * cache merges after the view, so a write made right after the merge may reach this side only,
   * and when Infinispan's conflict resolution fails, the other side's replicas lack the record for
   * good (seen on the real-network rig: a node waiting over 60 s for a returning member's record).
   *
   * @param desired what the record should say
   * @param snap the read the report follows
   */
  public void report(MemberRecord desired, MembersCache.Snapshot snap) {
    this.desired = desired;
    if (closed) {
      return;
    }
    askAboutStale(snap, desired);
    // After a failed write, the timer it set reads and reports again once the pause is over. A
    // write in flight or that pause holds the next write back, except once in each new view: a
    // write issued before a view change can wait out its whole timeout for answers from a view
    // the others have left. Seen on the real-network rig: a write issued during a cut held a
    // node's record back from the others for 2.9 s after the merge, while the writes issued in
    // the merged view landed within 400 ms.
    boolean held = writing || writeAgainAt - System.nanoTime() > 0;
    if (held && snap.viewId() == issuedInView) {
      return;
    }
    Set<String> owners = members.writeOwners(desired.name());
    boolean stored = desired.equals(snap.records().get(desired.name())) && snap.viewId() == writtenInView;
    boolean asked = rewriteAsked;
    rewriteAsked = false;
    // Only after a merge: a joiner's cache takes in every record by state transfer.
    if (stored && !asked && (!members.afterMerge() || writtenTo.containsAll(owners))) {
      return;
    }
    if (writing) {
      log.info(label.get() + " writes its member record again in view " + snap.viewId()
        + ": the write issued in view " + issuedInView + " is still unanswered");
    } else if (asked) {
      log.info(label.get() + " writes its member record again: another node's replica shows an older one");
    } else if (stored) {
      Set<String> added = new HashSet<>(owners);
      added.removeAll(writtenTo);
      log.info(label.get() + " writes its member record again for the nodes its last write did not reach: " + added);
    }
    if (asked) {
      askedWriteAt = System.nanoTime();
    }
    writing = true;
    long seq = ++writeSeq;
    long viewId = snap.viewId();
    issuedInView = viewId;
    Promise<Void> written = Promise.promise();
    Future<Void> earlier = lastWrite;
    lastWrite = earlier.isComplete() ? written.future() : Future.all(earlier, written.future()).mapEmpty();
    offLoop(() -> members.write(desired)).onComplete((v, err) -> {
      written.complete();
      if (seq != writeSeq) {
        // Superseded by a write issued in a later view: that one decides what comes next.
        return;
      }
      writing = false;
      long pause = written(err);
      if (err == null) {
        writtenInView = viewId;
        writtenTo = owners;
        refresh();
      } else {
        log.warn(label.get() + " cannot write its member record: " + describe(err) + "; again in " + pause + " ms");
        vertx.setTimer(pause, id -> refresh());
      }
    });
  }

  /**
   * Counts a write of this node's record that ended. After a failure no other write of it is
   * issued for a pause that doubles with each failure in a row, up to {@link #MAX_WRITE_RETRY_DELAY}:
   * every read may report, and a node back from a standstill once retried at once on every read,
   * hundreds of writes a second, filling Infinispan's queue ("Queue is full") so that its own and
   * the others' writes failed for over a minute (real-network rig, 8 s pause).
   *
   * @param err the failure, or {@code null}
   * @return the pause before the next write, ms; 0 after a success
   */
  private long written(Throwable err) {
    if (err == null) {
      failedWrites = 0;
      return 0;
    }
    failedWrites++;
    long pause = Math.min(MAX_WRITE_RETRY_DELAY, WRITE_RETRY_DELAY << Math.min(failedWrites - 1, 4));
    writeAgainAt = System.nanoTime() + pause * 1_000_000L;
    return pause;
  }

  /**
   * Asks the nodes whose records have disagreed with this node's checksum for a while to write
   * them again (see {@link StaleRecords}).
   */
  private void askAboutStale(MembersCache.Snapshot snap, MemberRecord desired) {
    if (suspicion.pending() != Long.MIN_VALUE) {
      // Back from a standstill this node's own replica is the likely stale one: it asks nobody
      // until its own write confirmed it.
      stale.clear();
      return;
    }
    for (StaleRecords.Seen s : stale.update(snap, desired, System.nanoTime() / 1_000_000)) {
      log.info(label.get() + " still sees " + s.name() + "'s record at checksum "
        + snap.records().get(s.name()).checksum() + ", not " + desired.checksum() + ": asks it to write its record again");
      blocking.executeBlocking(() -> vertx.eventBus().request(rewriteAddress(addressPrefix, s.nodeId()), s.value(),
          new DeliveryOptions().setSendTimeout(WRITE_TIMEOUT_MS))
        // At most once per record every few seconds: an operator must see why a ring stays unconverged.
        .onFailure(err -> log.info(label.get() + " could not ask " + s.name() + " to write its record: "
          + err.getMessage())), false);
    }
  }

  /**
   * Another node asks for a write of this node's record, sending the value its replica shows: one
   * is made unless that value is what this node would write anyway (then the asker's own view
   * differs, and a write would change nothing), or one was made less than
   * {@link #ASKED_WRITE_EVERY_MS} ago.
   */
  private void onRewriteAsked(Message<Object> msg) {
    if (!(msg.body() instanceof String seen) || seen.length() > MemberRecord.MAX_LENGTH) {
      msg.fail(CloisterException.BAD_REQUEST, "expected the record value seen, a string of at most "
        + MemberRecord.MAX_LENGTH + " characters");
      return;
    }
    boolean recent = askedWriteAt != Long.MIN_VALUE
      && System.nanoTime() - askedWriteAt < ASKED_WRITE_EVERY_MS * 1_000_000L;
    boolean write = !closed && active.getAsBoolean() && !seen.equals(desired.encode()) && !recent;
    if (write && !rewriteAsked) {
      rewriteAsked = true;
      refresh();
    }
    msg.reply(write);
  }

  /**
   * @param addressPrefix the event-bus address prefix
   * @param nodeId a node id
   * @return where that node is asked to write its record again
   */
  static String rewriteAddress(String addressPrefix, String nodeId) {
    return addressPrefix + ".record." + nodeId;
  }

  /**
   * Runs a cache operation from a worker thread: Infinispan's asynchronous operations may still
   * block their caller (waiting for a cache topology, measured: over 3 s on a node back from a
   * standstill), and the caller here would be the event loop. The result comes back on the
   * node's context, or a {@link TimeoutException} after {@link #WRITE_TIMEOUT_MS}: an operation
   * issued in a view the others have left behind can wait minutes for a cache topology that is not
   * coming (Infinispan retries it for up to its state-transfer timeout), blocking the worker or
   * not; the caller then writes again from a fresh read. An operation given up on may still land
   * later; the next read then finds a record other than the desired one and writes it again.
   */
  private <T> Future<T> offLoop(Supplier<CompletionStage<T>> op) {
    return blocking.<CompletionStage<T>>executeBlocking(op::get, false)
      .compose(stage -> Future.fromCompletionStage(stage, context))
      .timeout(WRITE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static String describe(Throwable err) {
    Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    return e instanceof TimeoutException
      ? "no answer in " + WRITE_TIMEOUT_MS + " ms (a view the others left behind?)"
      : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /**
   * The graceful leave: once the last write has landed (a report still in flight would land after
   * the leave and bring the record back), removes this node's record and closes the cache.
   *
   * @param after what must complete first (the inbox closing)
   * @return completed once left
   */
  public Future<Void> leave(Future<Void> after) {
    closed = true;
    stopWatchingStandstills.run();
    vertx.cancelTimer(freshnessTimer);
    vertx.cancelTimer(staleTimer);
    stale.clear();
    if (rewrites != null) {
      rewrites.unregister();
    }
    Future<Void> last = lastWrite;
    return after.transform(x -> last).transform(w -> blocking.executeBlocking(() -> {
      try {
        members.leave(self);
      } finally {
        members.close();
      }
      return null;
    }, true));
  }
}
