package dev.cloister.impl.workers;

/**
 * When a node that owns a key (by the ring) may take its lease: a pure function of the lease it
 * sees, whether the holder is in the cluster view, and the clocks. The rules:
 * <ul>
 *   <li>no lease: take it;</li>
 *   <li>a lease this node holds (its token is known here): it is ours already;</li>
 *   <li>a lease whose holder's set closed with its token: take it (the holder stopped every key
 *       before it recorded its close; such a segment was handed to it after its close looked at
 *       its cells);</li>
 *   <li>a holder that left the view (or a lease naming this node with a token it does not know, left
 *       from before it lost quorum): take it once {@code fence} has passed since this node saw the
 *       holder gone (or, if it never saw it in the view, since it first saw the lease);</li>
 *   <li>a live holder handing the key off: wait for its release, at most {@code performTimeout +
 *       2 × handoffTimeout} since the lease took that value (a perform to finish, the hand-off, its
 *       write and release), then take it;</li>
 *   <li>a live holder that does not hand off: wait {@code handoffTimeout} since the lease took that
 *       value, then take it (the holder is a member but silent).</li>
 * </ul>
 * Every wait restarts when the lease changes value, as a changing lease shows a holder at work; the
 * waits for a live holder also restart whenever this node sees that holder write any lease of its
 * own (take, mark, release). A node handing off a large share of the keys releases them over
 * seconds, longer than {@code handoffTimeout} for the last ones: without this, the others took
 * those leases while the holder still ran the keys (seen at 100,000 keys in the workers benchmark:
 * a dozen keys ran on two nodes until the holder heard of the taking).
 */
final class LeaseRules {

  private LeaseRules() {
  }

  /** The timeouts the rules use, in ms. */
  record Timeouts(long fence, long performTimeout, long handoffTimeout) {
  }

  /**
   * A decision.
   *
   * @param take whether to take (or keep) the lease now
   * @param ours whether this node already holds it
   * @param notBefore when waiting: the earliest time (ms, same clock as {@code now}) to look again
   */
  record Decision(boolean take, boolean ours, long notBefore) {
    static final Decision TAKE = new Decision(true, false, 0);
    static final Decision OURS = new Decision(true, true, 0);

    static Decision waitUntil(long t) {
      return new Decision(false, false, t);
    }
  }

  /**
   * Decides.
   *
   * @param lease the lease seen, or {@code null} for none
   * @param selfId this node's cluster node id
   * @param heldToken the token this node holds for the key, or {@code null}
   * @param holderInView whether the lease's holder is in this node's cluster view
   * @param holderClosed whether the holder's set closed with the lease's token (it runs nothing
   *     with it any more)
   * @param holderGoneAt when this node saw the holder leave the view, or -1 when it did not see it
   * @param holderWroteAt when this node last saw the holder write one of its own leases, or -1
   * @param seenSince when this node first saw the lease with this value
   * @param now the clock
   * @param t the timeouts
   * @return the decision
   */
  static Decision decide(Lease lease, String selfId, String heldToken, boolean holderInView, boolean holderClosed,
                         long holderGoneAt, long holderWroteAt, long seenSince, long now, Timeouts t) {
    if (lease == null) {
      return Decision.TAKE;
    }
    boolean mine = lease.nodeId().equals(selfId);
    if (mine && lease.token().equals(heldToken)) {
      return Decision.OURS;
    }
    if (holderClosed) {
      return Decision.TAKE;
    }
    if (mine || !holderInView) {
      // From the departure this node saw, even when it watched the lease since before: the holder
      // may have run the key until then. Only a departure it never saw counts from its first look.
      long gone = holderGoneAt >= 0 && !mine ? holderGoneAt : seenSince;
      return after(gone + t.fence(), now);
    }
    long atWork = Math.max(seenSince, holderWroteAt);
    if (lease.moving()) {
      return after(atWork + t.performTimeout() + 2 * t.handoffTimeout(), now);
    }
    return after(atWork + t.handoffTimeout(), now);
  }

  private static Decision after(long when, long now) {
    return now >= when ? Decision.TAKE : Decision.waitUntil(when);
  }
}
