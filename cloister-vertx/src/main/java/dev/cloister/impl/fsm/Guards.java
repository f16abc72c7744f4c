package dev.cloister.impl.fsm;

import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.Membership;

import java.util.ArrayList;
import java.util.List;

/**
 * When the state machine moves, given what changed: the guards next to {@link Transitions}'
 * table, as a pure function of the status, the old and new membership and the consensus. The
 * node asks them once the rings of the new membership are built, so {@code quorum} always finds
 * its rings.
 *
 * <ul>
 *   <li>a topology change (members joined, left or moved group) in READY, or fewer than
 *       {@code consensus} members that count (those the node has fresh evidence of): {@code rehash};</li>
 *   <li>in REHASHING (possibly just entered) with at least {@code consensus} members that count:
 *       {@code quorum};</li>
 *   <li>in REHASHING below consensus, a further topology change: {@code rehash} again (the node
 *       tells its listeners that the membership it waits in changed).</li>
 * </ul>
 * Nothing else moves: other states are driven by start-up and close, not by membership.
 */
public final class Guards {

  private Guards() {
  }

  /**
   * The triggers to fire, in order, when the membership goes from {@code old} to {@code next}.
   *
   * @param status the node's status now
   * @param old the membership the node had, or {@code null} for none
   * @param next the membership just read
   * @param consensus how many members make a quorum
   * @return the triggers, possibly none
   */
  public static List<Trigger> triggers(CloisterStatus status, Membership old, Membership next, int consensus) {
    boolean changed = !next.sameTopology(old);
    boolean quorate = next.counted() >= consensus;
    List<Trigger> out = new ArrayList<>(2);
    boolean left = false;
    if ((changed || !quorate) && status == CloisterStatus.READY) {
      out.add(Trigger.REHASH);
      status = CloisterStatus.REHASHING;
      left = true;
    }
    if (status == CloisterStatus.REHASHING) {
      if (quorate) {
        out.add(Trigger.QUORUM);
      } else if (changed && !left) {
        out.add(Trigger.REHASH);
      }
    }
    return out;
  }

  /**
   * Whether two memberships differ in a way that needs new rings.
   *
   * @param old the membership the node had, or {@code null}
   * @param next the membership just read
   * @return true when the rings must be rebuilt
   */
  public static boolean topologyChanged(Membership old, Membership next) {
    return !next.sameTopology(old);
  }
}
