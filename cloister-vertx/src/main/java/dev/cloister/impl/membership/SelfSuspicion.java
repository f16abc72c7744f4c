package dev.cloister.impl.membership;

import dev.cloister.impl.transport.Standstills;

import java.util.concurrent.TimeUnit;

/**
 * Whether this node must count only itself because it stood still long enough to have been evicted
 * without knowing it.
 *
 * <p>A JVM that stood still (a long GC pause, a SIGSTOP) for more than about its peers' suspect
 * timeout may have been evicted meanwhile: the others purged its record and serve rings without
 * it, while its own view and records are those of before. Trusting them would make it a second
 * quorate ring. So after such a standstill the node suspects itself: it counts only itself
 * (below any consensus above one, so it answers no ownership under {@code protect}) until it has
 * fresh evidence that the others still count it. The evidence is a write of its own record that
 * lands after a hold long enough for its own failure detection to have caught up: a replicated
 * write completes only when every member of the view the node is in has taken it, and a node the
 * others evicted either has a new view by then or cannot complete that write.
 *
 * <p>Thread-safe: {@link #suspect()} is asked from any thread that answers ownership.
 */
public final class SelfSuspicion {

  private final Standstills clock;
  private final long minStallMs;
  private final long holdNanos;
  /** The end of the last standstill that fresh evidence cleared. */
  private volatile long cleared = Long.MIN_VALUE;

  /**
   * Derives the thresholds from the failure-detection bound of the node's transport: standstills
   * of half the bound or longer count (the others need at least their suspect timeout, most of
   * the bound, to evict a silent node); the hold is one and a half bounds, time enough for this
   * node's own failure detection to suspect peers that stopped sending to it.
   *
   * @param clock the JVM's standstill clock
   * @param failureDetectionBound the transport's failure-detection bound, ms
   */
  public SelfSuspicion(Standstills clock, long failureDetectionBound) {
    this.clock = clock;
    this.minStallMs = Math.max(1, failureDetectionBound / 2);
    this.holdNanos = TimeUnit.MILLISECONDS.toNanos(failureDetectionBound + failureDetectionBound / 2);
  }

  /** @return the shortest standstill that makes the node suspect itself, ms */
  public long minStallMs() {
    return minStallMs;
  }

  /** @return whether the node must count only itself now */
  public boolean suspect() {
    return suspect(clock.lastEnd(minStallMs), cleared);
  }

  /** @return the end of the standstill to clear, or {@link Long#MIN_VALUE} when none is pending */
  long pending() {
    long end = clock.lastEnd(minStallMs);
    return suspect(end, cleared) ? end : Long.MIN_VALUE;
  }

  /**
   * How long to wait before the evidence for {@code end} may be gathered.
   *
   * @param end a standstill's end, from {@link #pending()}
   * @return the wait, ms, zero when due
   */
  long untilDue(long end) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(dueAt(end, holdNanos) - System.nanoTime()));
  }

  /**
   * Fresh evidence gathered from {@code startedAt} on clears the standstill that ended at
   * {@code end}, when it started after the hold.
   *
   * @param end the standstill's end
   * @param startedAt when the evidence's write started ({@link System#nanoTime()})
   * @return whether it cleared
   */
  boolean clear(long end, long startedAt) {
    if (!evidenceCounts(end, startedAt, holdNanos)) {
      return false;
    }
    long c = cleared;
    cleared = c == Long.MIN_VALUE || end - c > 0 ? end : c;
    return true;
  }

  /**
   * The rule: a known standstill not yet cleared.
   *
   * @param end the last standstill's end, or {@link Long#MIN_VALUE} for none
   * @param cleared the end of the last cleared one
   * @return whether the node suspects itself
   */
  static boolean suspect(long end, long cleared) {
    return end != Long.MIN_VALUE && (cleared == Long.MIN_VALUE || end - cleared > 0);
  }

  /**
   * The rule: evidence counts only when gathered after the hold.
   *
   * @param end the standstill's end
   * @param startedAt when the evidence's write started
   * @param holdNanos the hold
   * @return whether it counts
   */
  static boolean evidenceCounts(long end, long startedAt, long holdNanos) {
    return startedAt - dueAt(end, holdNanos) >= 0;
  }

  private static long dueAt(long end, long holdNanos) {
    return end + holdNanos;
  }
}
