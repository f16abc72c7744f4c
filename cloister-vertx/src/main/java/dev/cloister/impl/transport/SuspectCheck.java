package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.View;
import org.jgroups.annotations.ManagedAttribute;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.VERIFY_SUSPECT2;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * JGroups' VERIFY_SUSPECT2 (a suspected member is asked "are you dead?" and excluded only if it
 * does not answer in time) with two changes: how long the answer is awaited depends on what raised
 * the suspicion, and every suspicion gets its whole wait.
 *
 * <p>Two kinds of evidence, two waits. A connection that the suspect's kernel closed
 * ({@link FdSockOffSelector}) means its process is very likely gone: {@code socketWait}, short,
 * is what a crash costs before the survivors exclude it. A silence (FD_ALL3 heard nothing for its
 * timeout) is also what a slow or lossy network looks like: over TCP a lost segment holds up every
 * message behind it for a retransmission timeout, so the answer of a live member can take longer
 * than a round trip; {@code silenceWait} is longer.
 *
 * <p>The whole wait: VERIFY_SUSPECT2 checks its suspects in rounds of one timeout each, and a
 * suspicion raised during a round is confirmed at that round's end, so it may be given almost no
 * time at all. FD_ALL3 raises a silent member again at its next check right after an answer cleared
 * it, which is just when a round is still running: under 400 ms round trips such a second
 * suspicion could be confirmed before any answer could arrive. Here each suspicion is confirmed
 * only once its own wait is over.
 *
 * <p>It speaks VERIFY_SUSPECT2's protocol under its id, so it works beside plain VERIFY_SUSPECT2
 * nodes.
 */
public final class SuspectCheck extends VERIFY_SUSPECT2 {

  /** How long a note of a closed connection stays good for the suspicion it precedes, ms. */
  private static final long FRESH_NOTE_MS = 1_000;

  private final long socketWait;
  private final long silenceWait;
  /**
   * Members whose connection closed, noted (ms, monotonic) just before their suspicion comes up on
   * the same thread; a note not taken at once is stale (on a member that is not the coordinator
   * the suspicion does not come up at all).
   */
  private final Map<Address, Long> closedSockets = new ConcurrentHashMap<>();
  /** Each pending suspect's deadline, ms (monotonic): confirmed then unless it answered. */
  private final Map<Address, Long> deadlines = new HashMap<>();
  /** When each pending suspicion was raised, ms (monotonic); for the log. */
  private final Map<Address, Long> raisedAt = new HashMap<>();
  /** When each member was last confirmed dead, ms (monotonic); for the log of a late answer. */
  private final Map<Address, Long> confirmedAt = new HashMap<>();

  /** Suspicions confirmed (the suspect did not answer in time), since the start. */
  private long confirmed;
  /** Suspicions cleared (the suspect answered in time), since the start. */
  private long cleared;

  /**
   * @param socketWait ms to wait for the answer of a member whose connection closed
   * @param silenceWait ms to wait for the answer of a member that went silent
   */
  public SuspectCheck(long socketWait, long silenceWait) {
    setId(ClassConfigurator.getProtocolId(VERIFY_SUSPECT2.class));
    if (socketWait <= 0 || silenceWait < socketWait) {
      throw new IllegalArgumentException("socketWait " + socketWait + ", silenceWait " + silenceWait);
    }
    this.socketWait = socketWait;
    this.silenceWait = silenceWait;
    setTimeout(silenceWait);
  }

  /** @return ms a suspicion raised by a closed connection is checked */
  public long socketWait() {
    return socketWait;
  }

  /** @return ms a suspicion raised by silence is checked: the longest check */
  public long silenceWait() {
    return silenceWait;
  }

  /** @return how many suspicions were confirmed: the suspect did not answer in time */
  @ManagedAttribute(description = "Suspicions confirmed: the suspect did not answer in time")
  public synchronized long confirmed() {
    return confirmed;
  }

  /** @return how many suspicions were cleared: the suspect answered in time */
  @ManagedAttribute(description = "Suspicions cleared: the suspect answered in time")
  public synchronized long cleared() {
    return cleared;
  }

  /**
   * Notes that these members' connections closed: their suspicion, which comes up next on this
   * thread, waits {@link #socketWait()} for an answer.
   *
   * @param members the members whose connection closed
   */
  void socketsClosed(Collection<Address> members) {
    long now = now();
    members.forEach(m -> closedSockets.put(m, now));
  }

  @Override
  protected synchronized boolean addSuspects(Collection<Address> list) {
    if (list == null || list.isEmpty()) {
      return false;
    }
    long now = now();
    boolean added = false;
    for (Address member : list) {
      Long closed = closedSockets.remove(member);
      boolean socket = closed != null && now - closed <= FRESH_NOTE_MS;
      long deadline = now + (socket ? socketWait : silenceWait);
      Long pending = deadlines.get(member);
      if (pending == null) {
        deadlines.put(member, deadline);
        raisedAt.put(member, now);
        added = true;
      } else if (pending > deadline) {
        // A closed connection after a silence: the stronger evidence shortens the wait.
        deadlines.put(member, deadline);
      }
    }
    notifyAll();
    return added;
  }

  @Override
  protected synchronized boolean removeSuspect(Address suspect) {
    return deadlines.remove(suspect) != null;
  }

  @Override
  public synchronized String getSuspects() {
    long now = now();
    StringBuilder b = new StringBuilder("[");
    deadlines.forEach((m, d) -> b.append(b.length() > 1 ? ", " : "").append(m).append(" (expires in ")
      .append(d - now).append(" ms)"));
    return b.append(']').toString();
  }

  @Override
  public synchronized void stop() {
    super.stop();
    deadlines.clear();
    raisedAt.clear();
  }

  /**
   * Confirms each suspect whose wait is over and passes its suspicion up, until no suspect is
   * left; an answer ({@link #unsuspect(Address)}) removes the suspect before that.
   */
  @Override
  public void run() {
    List<Address> due = new ArrayList<>();
    while (true) {
      synchronized (this) {
        long now = now();
        long next = Long.MAX_VALUE;
        for (Iterator<Map.Entry<Address, Long>> it = deadlines.entrySet().iterator(); it.hasNext(); ) {
          Map.Entry<Address, Long> e = it.next();
          if (e.getValue() <= now) {
            due.add(e.getKey());
            it.remove();
          } else {
            next = Math.min(next, e.getValue());
          }
        }
        if (due.isEmpty()) {
          if (deadlines.isEmpty() || !running) {
            running = false;
            return;
          }
          try {
            wait(Math.max(1, next - now));
          } catch (InterruptedException stopped) {
            running = false;
            Thread.currentThread().interrupt();
            return;
          }
          continue;
        }
        for (Address member : due) {
          Long raised = raisedAt.remove(member);
          confirmedAt.put(member, now);
          confirmed++;
          log.debug("%s: %s did not answer within %d ms: suspecting it", local_addr, member,
            raised == null ? -1 : now - raised);
        }
      }
      up_prot.up(new Event(Event.SUSPECT, new ArrayList<>(due)));
      due.clear();
    }
  }

  @Override
  public void unsuspect(Address member) {
    if (member == null) {
      return;
    }
    synchronized (this) {
      Long raised = raisedAt.remove(member);
      Long confirmedWhen = confirmedAt.remove(member);
      if (raised != null) {
        cleared++;
        log.trace("%s: %s answered after %d ms: not suspected", local_addr, member, now() - raised);
      } else if (confirmedWhen != null) {
        log.debug("%s: %s answered %d ms after it was suspected for good", local_addr, member,
          now() - confirmedWhen);
      }
    }
    super.unsuspect(member);
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      View view = evt.getArg();
      synchronized (this) {
        deadlines.keySet().removeIf(m -> !view.containsMember(m));
        raisedAt.keySet().removeIf(m -> !view.containsMember(m));
        confirmedAt.keySet().removeIf(m -> !view.containsMember(m));
      }
      closedSockets.keySet().removeIf(m -> !view.containsMember(m));
    }
    return super.down(evt);
  }

  private static long now() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
  }
}
