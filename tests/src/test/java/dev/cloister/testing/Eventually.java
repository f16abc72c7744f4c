package dev.cloister.testing;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition that the cluster reaches asynchronously; fails with a description of the
 * last observed value when it never holds. A bound on waiting, not an assertion about speed.
 */
public final class Eventually {

  private Eventually() {
  }

  /**
   * Waits up to 60 s for {@code condition}.
   *
   * @param what what is awaited, for the failure message
   * @param condition the condition
   * @param observed what to report when it never holds
   */
  public static void eventually(String what, BooleanSupplier condition, Supplier<Object> observed) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("never happened: " + what + "; last observed: " + observed.get());
  }
}
