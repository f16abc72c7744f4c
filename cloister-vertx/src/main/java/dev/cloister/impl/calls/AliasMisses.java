package dev.cloister.impl.calls;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The direct aliases a caller recently found without a consumer: calls to them go through the
 * inbox for a while without asking first. Asking is a lookup in the cluster's subscriptions, as
 * costly as the relay it would save, so a plain consumer must not pay it on every call; a
 * consumer registered through Cloister afterwards is reached directly once the entry expires.
 * Bounded: when full, it is cleared.
 */
final class AliasMisses {

  /** How long a miss is remembered, in ns. */
  static final long REMEMBER_NS = 2_000_000_000L;
  private static final int MAX = 4096;

  private final Map<String, Long> until = new ConcurrentHashMap<>();

  /**
   * @param alias a direct alias
   * @return whether it had no consumer a moment ago
   */
  boolean recent(String alias) {
    Long t = until.get(alias);
    if (t == null) {
      return false;
    }
    if (System.nanoTime() - t < 0) {
      return true;
    }
    until.remove(alias, t);
    return false;
  }

  /** @param alias a direct alias that had no consumer */
  void note(String alias) {
    if (until.size() >= MAX) {
      until.clear();
    }
    until.put(alias, System.nanoTime() + REMEMBER_NS);
  }
}
