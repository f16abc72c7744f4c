package dev.cloister.testing;

import dev.cloister.CloisterException;
import dev.cloister.ShardedWorkers;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static dev.cloister.testing.Eventually.eventually;

/**
 * Waits until the nodes of a worker set agree on its ring. A key put before that may start on a
 * node that sees only itself, perform there and move once (with its hand-off's payload): a test
 * that counts performs on the final owner, or reads the payload back, would see the move.
 */
public final class SetRings {

  private static final List<String> PROBES = IntStream.range(0, 64).mapToObj(i -> "probe-" + i).toList();

  private SetRings() {
  }

  /**
   * Waits until every one of {@code sets} (the same set, one per node) names the same owner for
   * each of 64 probe keys, and those owners are {@code sets.size()} distinct nodes.
   *
   * @param sets the set as started on each node
   */
  public static void awaitAgreed(List<ShardedWorkers> sets) {
    eventually("every node sees all " + sets.size() + " in the set's ring", () -> agreed(sets), () -> owners(sets));
  }

  private static boolean agreed(List<ShardedWorkers> sets) {
    try {
      List<String> first = owners(sets.get(0));
      return new HashSet<>(first).size() == sets.size()
        && sets.stream().skip(1).allMatch(s -> owners(s).equals(first));
    } catch (CloisterException noRingYet) {
      // A set that has not seen itself announced has no ring yet: it answers with a 503.
      return false;
    }
  }

  private static Object owners(List<ShardedWorkers> sets) {
    try {
      return sets.stream().map(s -> Set.copyOf(owners(s))).toList();
    } catch (CloisterException noRingYet) {
      return noRingYet.getMessage();
    }
  }

  /**
   * @return the owner {@code set} names for each key, in order
   * @throws CloisterException (503) while the set has no ring yet
   */
  public static List<String> owners(ShardedWorkers set, List<String> keys) {
    return keys.stream().map(set::ownerOf).toList();
  }

  private static List<String> owners(ShardedWorkers set) {
    return owners(set, PROBES);
  }
}
