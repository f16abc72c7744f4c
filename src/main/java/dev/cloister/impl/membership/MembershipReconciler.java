package dev.cloister.impl.membership;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.logging.Logger;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps the members cache true for this node: reads it (one read at a time, coalescing the
 * changes that arrive meanwhile), purges the records of nodes that left the view, removes
 * records that claim this node's id under another name, and writes this node's own record when
 * the stored one differs from what it should say.
 *
 * <p>The rules are pure functions ({@link #departed}, {@link #impostors}, {@link #mayWrite}); this
 * class only applies them. Confined to the node's context; blocking cache reads run as ordered
 * blocking tasks, writes through the cache's async API.
 */
public final class MembershipReconciler {

  private static final long WRITE_RETRY_DELAY = 500;

  private final Vertx vertx;
  private final Context context;
  private final MembersCache members;
  private final MemberRecord self;
  private final Consumer<MembersCache.Snapshot> onSnapshot;
  private final BooleanSupplier active;
  private final Logger log;
  private final Supplier<String> label;
  private final Set<String> knownNodeIds = new HashSet<>();
  private final Set<String> purging = new HashSet<>();
  private boolean refreshing;
  private boolean refreshAgain;
  private boolean writing;
  private Future<Void> lastWrite = Future.succeededFuture();
  private boolean closed;

  /**
   * Creates the reconciler of a node that holds its name.
   *
   * @param vertx the node's Vert.x
   * @param context the node's context
   * @param members the opened members cache
   * @param self this node's record as claimed
   * @param onSnapshot called on the context with every read, after purges and healing were started
   * @param active whether reads are wanted now (the node is rehashing or ready)
   * @param log where to log
   * @param label the node's label for logs
   */
  public MembershipReconciler(Vertx vertx, Context context, MembersCache members, MemberRecord self,
                              Consumer<MembersCache.Snapshot> onSnapshot, BooleanSupplier active, Logger log,
                              Supplier<String> label) {
    this.vertx = vertx;
    this.context = context;
    this.members = members;
    this.self = self;
    this.onSnapshot = onSnapshot;
    this.active = active;
    this.log = log;
    this.label = label;
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
    return vertx.executeBlocking(members::snapshot, true);
  }

  /**
   * Purges departed members and impostors of this node.
   *
   * @param snap a snapshot just read
   * @return whether this node may write its record under its name
   */
  public boolean reconcile(MembersCache.Snapshot snap) {
    for (String name : departed(snap, knownNodeIds)) {
      purge(snap, name, " purged departed member " + name + " (" + snap.records().get(name).nodeId() + ")", false);
    }
    knownNodeIds.addAll(snap.view());
    for (String name : impostors(snap, self)) {
      purge(snap, name, " removed a record that claimed its node id under the name " + name, true);
    }
    MemberRecord stored = snap.records().get(self.name());
    if (!mayWrite(snap, self)) {
      log.error(label.get() + " another live node (" + stored.nodeId() + ") holds this node's name; "
        + "node names must be unique");
      return false;
    }
    if ((stored == null || !stored.nodeId().equals(self.nodeId())) && !writing) {
      // Lost in a merge or purged by a side that thought this node gone: report() writes it back.
      log.info(label.get() + " restoring its member record");
    }
    return true;
  }

  private void purge(MembersCache.Snapshot snap, String name, String done, boolean warn) {
    if (!purging.add(name)) {
      return;
    }
    members.purge(name, snap.raw().get(name), snap.records().get(name).nodeId()).whenComplete((removed, err) -> context.runOnContext(v -> {
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
    }));
  }

  /**
   * The records of nodes this node saw in a view and then lost. Only those: a record may reach
   * this replica a moment before its node's view does.
   *
   * @param snap a snapshot
   * @param known node ids seen in earlier views
   * @return the names to purge
   */
  static List<String> departed(MembersCache.Snapshot snap, Set<String> known) {
    List<String> out = new ArrayList<>();
    for (MemberRecord r : snap.records().values()) {
      if (!snap.view().contains(r.nodeId()) && known.contains(r.nodeId())) {
        out.add(r.name());
      }
    }
    return out;
  }

  /**
   * Records that carry this node's id under another name. A node writes only its own name: left
   * alone such a record would be a phantom member, alive as long as this node is, or, under
   * another node's name, keep that node out of the ring. Only this node can tell.
   *
   * @param snap a snapshot
   * @param self this node's record
   * @return the names to purge
   */
  static List<String> impostors(MembersCache.Snapshot snap, MemberRecord self) {
    List<String> out = new ArrayList<>();
    for (MemberRecord r : snap.records().values()) {
      if (r.nodeId().equals(self.nodeId()) && !r.name().equals(self.name())) {
        out.add(r.name());
      }
    }
    return out;
  }

  /**
   * Whether this node may write its record: not while another live node holds its name.
   *
   * @param snap a snapshot
   * @param self this node's record
   * @return false when a live node of another id holds the name
   */
  static boolean mayWrite(MembersCache.Snapshot snap, MemberRecord self) {
    MemberRecord stored = snap.records().get(self.name());
    return stored == null || stored.nodeId().equals(self.nodeId()) || !snap.view().contains(stored.nodeId());
  }

  /**
   * Writes this node's record when the stored one differs from what it should say. The stored
   * record is compared, not the last one written: a write can be overtaken (two puts of the same
   * key in flight across a view change land in either order) and the cluster would then never
   * converge on a stale checksum. One write at a time; each is followed by a fresh read.
   *
   * @param desired what the record should say
   * @param stored what the cache holds, or {@code null}
   */
  public void report(MemberRecord desired, MemberRecord stored) {
    if (closed || writing || desired.equals(stored)) {
      return;
    }
    writing = true;
    Promise<Void> written = Promise.promise();
    lastWrite = written.future();
    members.write(desired).whenComplete((v, err) -> context.runOnContext(x -> {
      writing = false;
      written.complete();
      if (err != null) {
        log.warn(label.get() + " cannot write its member record: " + err.getMessage());
        // Retried from the next read; a pause keeps a broken cluster from being hammered.
        vertx.setTimer(WRITE_RETRY_DELAY, id -> refresh());
      } else {
        refresh();
      }
    }));
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
    Future<Void> last = lastWrite;
    return after.transform(x -> last).transform(w -> vertx.executeBlocking(() -> {
      try {
        members.leave(self);
      } finally {
        members.close();
      }
      return null;
    }, true));
  }
}
