package dev.cloister.process;

import dev.cloister.bench.soak.CrashSoak;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The short crash soak: five node JVMs, five rounds of {@code kill -9} or graceful stop of a random
 * node and its restart under the same name; every round must end on one converged ring of five
 * with no ghost. The long one is {@code bench/run.sh soak 5 50}.
 */
@Tag("process")
class CrashSoakTest {

  @Test
  void fiveNodesSurviveFiveRoundsOfCrashesAndRestarts() throws Exception {
    long seed = Long.getLong("cloister.soak.seed", System.currentTimeMillis());
    CrashSoak.Summary s = CrashSoak.run(5, 5, seed, System.out);
    assertEquals(5, s.rounds().size(), "every round ran (seed " + seed + ")");
    assertEquals(0, s.failed(), "failed rounds (seed " + seed + "): " + s.rounds());
  }
}
