package dev.cloister.junit5;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit in its default mode, on a cluster shared by the class's tests. */
@CloisterTest(nodes = 3, consensus = 2)
class InJvmKitTest {

  private static String sharedApp;

  @BeforeAll
  static void recordTheClassCluster(CloisterCluster cluster) {
    sharedApp = cluster.app();
  }

  @Test
  void theClassClusterIsSharedAndEveryNodeIsReadyAtTheStart(CloisterCluster cluster) {
    assertEquals(sharedApp, cluster.app());
    assertEquals(3, cluster.size());
    cluster.awaitConverged();
    for (int i = 0; i < 3; i++) {
      assertEquals("node" + i, cluster.node(i).name());
      assertEquals(Set.of("node0", "node1", "node2"), new HashSet<>(cluster.node(i).cloister().state().memberNames()));
      assertTrue(cluster.node(i).transitions().stream().anyMatch(t -> t.contains("->READY")), cluster.node(i).transitions().toString());
    }
  }

  @Test
  @CloisterTest(nodes = 2)
  void aMethodGetsAClusterOfItsOwnThatNeverSeesAnother(CloisterCluster cluster) {
    assertNotEquals(sharedApp, cluster.app());
    assertEquals(2, cluster.size());
    cluster.awaitConverged();
    assertEquals(List.of("node0", "node1"), cluster.node(0).cloister().state().memberNames().stream().sorted().toList());
  }

  @Test
  @CloisterTest(nodes = 2)
  void aNodeJoinsAndLeavesGracefully(CloisterCluster cluster) {
    int added = cluster.addNode();
    assertEquals(2, added);
    cluster.awaitConverged();
    assertEquals(3, cluster.node(0).cloister().state().getMembers().size());
    cluster.stop(added);
    assertFalse(cluster.node(added).isUp());
    assertEquals(3, cluster.size());
    cluster.awaitConverged();
    assertEquals(2, cluster.node(0).cloister().state().getMembers().size());
    assertThrows(IllegalStateException.class, () -> cluster.node(added).vertx());
  }

  @Test
  void aFailedWaitSaysWhatItAwaitedAndWhatEachNodeShowed() {
    // Longer than the failure-detection bound (3.5 s), so that the cut is seen within the wait.
    try (CloisterCluster cluster = CloisterCluster.builder().nodes(2).consensus(1).timeout(Duration.ofSeconds(6)).start()) {
      cluster.partition(new int[] {0}, new int[] {1});
      cluster.awaitConverged(0);
      AssertionError e = assertThrows(AssertionError.class, cluster::awaitConverged);
      assertTrue(e.getMessage().contains("awaited for 6 s: nodes"), e.getMessage());
      assertTrue(e.getMessage().contains("node0: READY members [node0]"), e.getMessage());
      assertTrue(e.getMessage().contains("node1: READY members [node1]"), e.getMessage());
      AssertionError again = assertThrows(AssertionError.class,
        () -> cluster.eventually(() -> assertEquals(2, cluster.node(0).state().getMembers().size(), "node0's members")));
      assertTrue(again.getMessage().startsWith("still failing after 6 s: node0's members"), again.getMessage());
    }
  }

  @Test
  void badBuilderValuesFailNamingTheValue() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CloisterCluster.builder().nodes(0))
      .getMessage().contains("nodes"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CloisterCluster.builder().nodes(2).consensus(3).start())
      .getMessage().contains("consensus 3"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CloisterCluster.builder().timeout(Duration.ZERO))
      .getMessage().contains("timeout"));
  }
}
