package dev.cloister.process;

import dev.cloister.bench.soak.PartitionBench;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Five node JVMs, consensus 3, protect, split 3 + 2 across processes and healed: the minority
 * refuses whois with 503, the majority stays READY on three, and the healed cluster is one
 * converged ring of five answering whois alike. Times are printed, not asserted.
 */
@Tag("process")
class PartitionProcessTest {

  @Test
  void aSplitOfFiveJvmsKeepsTheMajorityServingAndHealsIntoOneRing() throws Exception {
    List<PartitionBench.Run> runs = PartitionBench.run(1, System.out);
    assertEquals(1, runs.size());
    assertNull(runs.get(0).failure());
  }
}
