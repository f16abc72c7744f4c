package dev.cloister.impl.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Notices when this JVM stood still: a long garbage-collection pause, a SIGSTOP, a starved or
 * suspended machine. One daemon thread per JVM ticks every {@value #TICK_MS} ms; a tick that comes
 * much later than asked is a standstill.
 *
 * <p>Why a node must know: while it stood still the others may have found it silent and evicted it,
 * yet its own view, records and rings are those of before. Back, it would answer ownership from a
 * quorate ring of the old membership while the others answer from a ring without it: a split
 * brain until its own failure detection catches up. A node that learns it stood still long enough
 * to have been evicted suspects itself until it has fresh evidence (see the membership's
 * self-suspicion).
 *
 * <p>The clock also answers between two ticks: when the last tick is older than a caller's bound,
 * the JVM is resuming from a standstill that the ticking thread has not reported yet.
 */
public final class Standstills {

  /** How often the clock ticks, ms. */
  static final long TICK_MS = 100;
  /** Gaps shorter than this are scheduling noise, not reported, ms. */
  static final long NOISE_MS = 250;
  /** How many standstills are remembered. */
  private static final int KEPT = 8;

  private static final Standstills JVM = new Standstills();

  private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();
  private volatile long lastTick = System.nanoTime();
  /** The last few standstills, newest last: a short one right after a long one must not hide it. */
  private volatile List<Stall> recent = List.of();

  private record Stall(long end, long length) {
  }

  private Standstills() {
    Thread t = new Thread(this::tick, "cloister-standstill-clock");
    t.setDaemon(true);
    t.start();
  }

  /** @return the clock of this JVM */
  public static Standstills jvm() {
    return JVM;
  }

  private void tick() {
    while (true) {
      try {
        Thread.sleep(TICK_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = System.nanoTime();
      long gap = now - lastTick - TimeUnit.MILLISECONDS.toNanos(TICK_MS);
      lastTick = now;
      if (gap >= TimeUnit.MILLISECONDS.toNanos(NOISE_MS)) {
        List<Stall> next = new ArrayList<>(recent);
        next.add(new Stall(now, gap));
        recent = List.copyOf(next.subList(Math.max(0, next.size() - KEPT), next.size()));
        for (LongConsumer l : listeners) {
          l.accept(TimeUnit.NANOSECONDS.toMillis(gap));
        }
      }
    }
  }

  /**
   * When the JVM last came back from a standstill of at least {@code minMs}, or is coming back now.
   *
   * @param minMs the shortest standstill that counts, ms
   * @return its end as a {@link System#nanoTime()} value, or {@link Long#MIN_VALUE} when none is known
   */
  public long lastEnd(long minMs) {
    long now = System.nanoTime();
    long min = TimeUnit.MILLISECONDS.toNanos(minMs);
    if (now - lastTick - TimeUnit.MILLISECONDS.toNanos(TICK_MS) >= min) {
      // The clock has not ticked for that long: the JVM stands still or is just back.
      return now;
    }
    List<Stall> stalls = recent;
    for (int i = stalls.size() - 1; i >= 0; i--) {
      if (stalls.get(i).length() >= min) {
        return stalls.get(i).end();
      }
    }
    return Long.MIN_VALUE;
  }

  /**
   * Tells {@code listener} the length (ms) of every standstill, on the clock's thread: it must only
   * hand the news on.
   *
   * @param listener the listener
   * @return removes the listener
   */
  public Runnable onStandstill(LongConsumer listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
