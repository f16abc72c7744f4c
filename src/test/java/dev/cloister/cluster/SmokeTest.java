package dev.cloister.cluster;

import dev.cloister.CloisterStatus;
import dev.cloister.testing.InJvmCluster;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SmokeTest {
  @Test
  void threeNodesReachReady() {
    try (InJvmCluster c = new InJvmCluster(3)) {
      long t0 = System.currentTimeMillis();
      for (int i = 0; i < 3; i++) {
        c.start(i, c.options(i, 3));
      }
      for (InJvmCluster.Node n : c.nodes()) {
        InJvmCluster.await(n.deployment);
        assertEquals(CloisterStatus.READY, n.state().getStatus());
        System.out.println(n.transitions + " " + n.state());
      }
      System.out.println("took " + (System.currentTimeMillis() - t0));
    }
  }
}
