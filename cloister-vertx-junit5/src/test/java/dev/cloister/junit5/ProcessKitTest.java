package dev.cloister.junit5;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The kit's process mode: one JVM per node, a real kill -9. */
@Tag("process")
class ProcessKitTest {

  @Test
  @CloisterTest(nodes = 3, consensus = 2, mode = CloisterTest.Mode.PROCESS)
  void aKilledNodeIsPurgedAndComesBackUnderItsName(CloisterCluster cluster) {
    assertThrows(UnsupportedOperationException.class, () -> cluster.node(0).vertx());
    cluster.kill(1);
    assertFalse(cluster.node(1).isUp());
    cluster.awaitConverged();
    assertEquals(Set.of("node0", "node2"), new HashSet<>(cluster.node(0).state().memberNames()));
    cluster.restart(1);
    cluster.awaitConverged();
    assertEquals(Set.of("node0", "node1", "node2"), new HashSet<>(cluster.node(1).state().memberNames()));
  }

  @Test
  @CloisterTest(nodes = 3, consensus = 2, mode = CloisterTest.Mode.PROCESS)
  void aPartitionedMinorityLosesQuorumAndTheHealMakesOneRing(CloisterCluster cluster) {
    cluster.partition(new int[] {0, 1}, new int[] {2});
    cluster.awaitConverged(0, 1);
    cluster.eventually(() -> assertFalse(cluster.node(2).state().isQuorate(), "node2 alone is below consensus 2"));
    cluster.heal();
    cluster.awaitConverged();
  }
}
