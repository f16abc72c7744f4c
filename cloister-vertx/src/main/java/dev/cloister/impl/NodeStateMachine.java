package dev.cloister.impl;

import dev.cloister.CloisterStatus;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.fsm.Guards;
import dev.cloister.impl.fsm.Transitions;
import dev.cloister.impl.fsm.Trigger;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.MembersCache;
import dev.cloister.impl.membership.Membership;
import dev.cloister.impl.membership.MembershipReconciler;
import dev.cloister.impl.membership.SelfSuspicion;
import dev.cloister.impl.ring.NodeRings;
import dev.cloister.impl.ring.Rings;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node's state machine at work: it owns the status and the membership, feeds each read of
 * the members cache through {@link Guards} and {@link Transitions}, and has
 * {@link StatePublisher} publish every change.
 *
 * <p>Rings are built off the event loop, so a read whose topology differs from the current one
 * orders the rings of the new membership and waits: the transition it causes (READY to
 * REHASHING, the new rings installed, back to READY, the own record written) is applied in one
 * step on the node's context once those rings are built, exactly as if they had been built in
 * place. Reads meanwhile still purge and heal; only the newest build is applied. Confined to the
 * node's context.
 */
final class NodeStateMachine {

  private final NodeConfig config;
  private final StatePublisher publisher;
  private final SelfSuspicion suspicion;
  private NodeRings rings;
  private volatile MembershipReconciler reconciler;
  private Runnable onSettled = () -> { };
  private CloisterStatus status = CloisterStatus.DOWN;
  /** The node's name, membership and its version, and the sentries expected: what the state shows. */
  private View view = new View(null, null, 0, List.of());
  /** The newest read, applied once the rings of its membership are built. */
  private volatile LastRead lastRead;

  private record View(String node, Membership membership, long version, List<String> expected) {
    View with(Membership m, long v) {
      return new View(node, m, v, expected);
    }
  }

  private record LastRead(MembersCache.Snapshot snapshot, Membership membership, boolean mayWrite) {
  }

  NodeStateMachine(NodeConfig config, StatePublisher publisher, SelfSuspicion suspicion) {
    this.config = config;
    this.publisher = publisher;
    this.suspicion = suspicion;
  }

  /** @return whether the node stood still long enough to suspect itself; {@code null} when not clustered */
  SelfSuspicion suspicion() {
    return suspicion;
  }

  /** @param onSettled called after each applied read (the start completes from there) */
  void onSettled(Runnable onSettled) {
    this.onSettled = onSettled;
  }

  /** @param rings where this node's rings are built and installed; set before the node assembles */
  void rings(NodeRings rings) {
    this.rings = rings;
  }

  /** The node was closed before it started: it stays as it is, stopped, with nothing to announce. */
  void neverStarted() {
    status = CloisterStatus.STOPPED;
  }

  CloisterStatus status() {
    return status;
  }

  MembershipReconciler reconciler() {
    return reconciler;
  }

  /**
   * Whether this node, not quorate only while it waits for the records of members back in its
   * view (after a merge), still hears a quorum of the members it has records of. Read from any
   * thread.
   *
   * @return true when so
   */
  boolean quorumHeardWhileWaiting() {
    MembershipReconciler r = reconciler;
    return r != null && heard(r.evidenceWhileWaiting());
  }

  /**
   * Whether this node hears a quorum of the members it has records of, whatever its state says
   * (the state may not have caught up with the last read yet). Read from any thread.
   *
   * @return true when so
   */
  boolean quorumHeard() {
    MembershipReconciler r = reconciler;
    return r != null && heard(r.evidence());
  }

  private boolean heard(Set<String> evidence) {
    LastRead read = lastRead;
    if (read == null || evidence == null) {
      return false;
    }
    MembersCache.Snapshot snap = read.snapshot();
    return Membership.of(config.app(), snap.records().values(), snap.view(), evidence).counted() >= config.consensus();
  }

  String label() {
    return "[" + (view.node() == null ? config.app() : view.node()) + "]";
  }

  /**
   * Moves the state machine and tells everyone.
   *
   * @param trigger what happened
   * @return whether the table allowed the move
   */
  boolean fire(Trigger trigger) {
    Optional<CloisterStatus> next = Transitions.next(status, trigger);
    if (next.isEmpty()) {
      return false;
    }
    CloisterStatus from = status;
    status = next.get();
    publisher.announce(from, publish(), label());
    return true;
  }

  /** @return the new publication of the current state */
  StatePublisher.Published publish() {
    return publisher.publish(new StatePublisher.Inputs(status, view.node(), view.version(),
      rings == null ? Rings.EMPTY : rings.rings(), rings == null ? null : rings.checksum(),
      view.membership(), view.expected()));
  }

  /**
   * The sentries now expected; shown from the next publication on.
   *
   * @param seeds {@code host:port} of each
   */
  void expect(List<String> seeds) {
    View v = view;
    view = new View(v.node(), v.membership(), v.version(), List.copyOf(seeds));
  }

  /**
   * The node joined and holds its name: it enters REHASHING once the first rings are built.
   *
   * @param r the reconciler of its record
   * @param snap the read made right after the claim
   */
  void assembled(MembershipReconciler r, MembersCache.Snapshot snap) {
    reconciler = r;
    View v = view;
    view = new View(r.self().name(), null, 0, v.expected());
    Membership first = Membership.of(config.app(), snap.records().values(), snap.view());
    lastRead = new LastRead(snap, first, true);
    rings.order(first.groups());
  }

  /**
   * Vert.x is not clustered: the node is a ring of one, NONODE once that ring is built.
   *
   * @param self this node's record
   */
  void alone(MemberRecord self) {
    View v = view;
    view = new View(self.name(), null, 0, v.expected());
    lastRead = new LastRead(null, new Membership(config.app(), List.of(self)), false);
    rings.order(lastRead.membership().groups());
  }

  /** Reads the members cache again, when the node is in the membership loop. */
  void refresh() {
    if (reconciler != null) {
      reconciler.refresh();
    }
  }

  /** @return whether the node follows the membership now */
  boolean inMembershipLoop() {
    return status == CloisterStatus.REHASHING || status == CloisterStatus.READY;
  }

  /**
   * Handles a read of the members cache: purges and heals at once; applies it now when the rings
   * of its membership are there, else orders them.
   *
   * @param snap the read
   */
  void apply(MembersCache.Snapshot snap) {
    if (!inMembershipLoop()) {
      return;
    }
    boolean mayWrite = reconciler.reconcile(snap);
    Membership next = Membership.of(config.app(), snap.records().values(), snap.view(), reconciler.countedView(snap));
    lastRead = new LastRead(snap, next, mayWrite);
    Map<String, List<String>> building = rings.pending();
    boolean differs = building != null ? !building.equals(next.groups()) : Guards.topologyChanged(view.membership(), next);
    if (differs) {
      rings.order(next.groups());
    } else if (building == null) {
      transition(null);
    }
  }

  /**
   * The newest rings are built: the read waiting for them is applied.
   *
   * @param built the rings
   */
  void ringsBuilt(Rings built) {
    LastRead read = lastRead;
    if (status == CloisterStatus.ASSEMBLING && read != null) {
      rings.install(built);
      if (reconciler == null) {
        becomeAlone(read.membership().live().get(0));
      } else {
        firstRead(read);
      }
      return;
    }
    if (inMembershipLoop() && read != null) {
      transition(built);
    }
  }

  private void becomeAlone(MemberRecord self) {
    // A ring of one: its record carries the ring's checksum.
    view = view.with(new Membership(config.app(), List.of(self.report(CloisterStatus.NONODE, rings.checksum()))), 1);
    fire(Trigger.ASSEMBLED);
    fire(Trigger.NONODE);
    onSettled.run();
  }

  private void firstRead(LastRead read) {
    view = view.with(read.membership(), 1);
    fire(Trigger.ASSEMBLED);
    apply(read.snapshot());
    // Changes that arrived while the rings were built were not read: read once more.
    refresh();
  }

  /**
   * Applies the newest read, whose rings are {@code built} (or unchanged when {@code null}): the
   * guards decide the triggers; leaving READY is announced with the rings of before, everything
   * after with the new ones.
   */
  private void transition(Rings built) {
    LastRead read = lastRead;
    Membership old = view.membership();
    Membership next = read.membership();
    view = view.with(next, Guards.topologyChanged(old, next) ? view.version() + 1 : view.version());
    boolean installed = built == null;
    for (Trigger t : Guards.triggers(status, old, next, config.consensus())) {
      if (!installed && !(t == Trigger.REHASH && status == CloisterStatus.READY)) {
        rings.install(built);
        installed = true;
      }
      fire(t);
    }
    if (!installed) {
      rings.install(built);
    }
    if (read.mayWrite()) {
      MemberRecord desired = reconciler.self().report(status, rings.checksum());
      reconciler.report(desired, read.snapshot());
    }
    publish();
    onSettled.run();
  }

  /**
   * Stops applying rings and reads: the node is leaving.
   *
   * @return the reconciler, to leave with, or {@code null}
   */
  MembershipReconciler leave() {
    if (rings != null) {
      rings.close();
    }
    MembershipReconciler r = reconciler;
    reconciler = null;
    return r;
  }
}
