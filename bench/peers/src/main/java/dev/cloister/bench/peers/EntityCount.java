package dev.cloister.bench.peers;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The entities (keys, entity actors) running on a sharding node, reported to the driver as
 * {@code entities} lines (see {@link NodeOutput}) at most every {@value #EVERY_MS} ms and only when
 * they changed. Each line carries the time of the last change it includes, not the time it is
 * printed, so the throttling does not delay the driver's figures; the last line of a burst is the
 * settled count.
 */
final class EntityCount {

  private static final long EVERY_MS = 50;

  private int running;
  private long started;
  private long changedAt = System.currentTimeMillis();
  private long version;

  /** Counts one entity started here. */
  synchronized void started() {
    running++;
    started++;
    changed();
  }

  /** Counts one entity stopped here (handed off, or the node stops). */
  synchronized void stopped() {
    running--;
    changed();
  }

  private void changed() {
    changedAt = System.currentTimeMillis();
    version++;
  }

  /**
   * Prints the count now, which tells the driver that entities can be created, then whenever it
   * changed, on a daemon thread.
   */
  void report() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "entity-count");
      t.setDaemon(true);
      return t;
    });
    long[] printed = {-1};
    timer.scheduleAtFixedRate(() -> {
      int r;
      long s;
      long at;
      synchronized (this) {
        if (version == printed[0]) {
          return;
        }
        printed[0] = version;
        r = running;
        s = started;
        at = changedAt;
      }
      NodeOutput.entities(at, r, s);
    }, 0, EVERY_MS, TimeUnit.MILLISECONDS);
  }
}
