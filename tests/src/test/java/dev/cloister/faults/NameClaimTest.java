package dev.cloister.faults;

import dev.cloister.junit5.internal.Partitioner;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterMember;
import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A node restarted under its name while its predecessor is still in the view takes the name back. */
class NameClaimTest {

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNameHeldByANodeThatFailureDetectionEvictsIsTakenOverInsteadOfFailingTheStart() throws Exception {
    cluster = new InJvmCluster(4);
    Node a = cluster.start(0, cluster.options(0, 2));
    Node b = cluster.start(1, cluster.options(1, 2));
    Node old = cluster.start(2, cluster.options(2, 2));
    List.of(a, b, old).forEach(n -> await(n.deployment));
    eventually("three members", () -> a.state().getMembers().size() == 3, a::transitions);
    String oldId = a.state().getMembers().get(2).getNodeId();

    // The holder stops answering, as a crashed or hung process does, but is still in the view when
    // its successor, started under the same name, claims it.
    Partitioner.of(old.vertx).isolateFromAll();
    Node successor = cluster.start(3, cluster.options(3, 2).setNodeName("node2"));
    await(successor.deployment);

    eventually("the successor holds node2 on every node", () -> List.of(a, b, successor).stream().allMatch(n -> {
      CloisterMember m = n.state().getMembers().stream().filter(x -> x.getName().equals("node2")).findFirst()
        .orElse(null);
      return n.state().getStatus() == CloisterStatus.READY && n.state().getMembers().size() == 3 && m != null
        && !m.getNodeId().equals(oldId);
    }), () -> List.of(a.state(), successor.state()));
    assertEquals(a.state().getChecksum(), successor.state().getChecksum());
    assertNotEquals(oldId, successor.state().getMembers().stream().filter(x -> x.getName().equals("node2"))
      .findFirst().orElseThrow().getNodeId());
    cluster.stop(old);
  }

  @Test
  void aClaimWaitsForTheHolderToLeaveTheViewThenTakesTheName() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 1));
    await(a.deployment);
    // A cluster member without Cloister stands for a crashed node9 that failure detection has not
    // evicted yet: it is in the view, and nothing it runs will give the name back.
    Vertx holder = await(Vertx.builder().withClusterManager(new CloisterClusterManager(cluster.options(1, 1)))
      .buildClustered());
    String holderId = ((VertxInternal) holder).clusterManager().getNodeId();
    Members.put(a.vertx, "node9", new MemberRecord("node9", "cloister", "cloister", "127.0.0.1", 1, holderId,
      1L, CloisterStatus.READY, null).encode());

    Node successor = cluster.start(2, cluster.options(2, 1).setNodeName("node9"));
    eventually("the successor waits in its claim", () -> successor.lastStatus() == CloisterStatus.ASSEMBLING,
      successor::transitions);
    assertFalse(successor.deployment.isComplete());
    await(holder.close());
    await(successor.deployment);
    eventually("node9 is the successor on both nodes", () -> a.state().memberNames().equals(List.of("node0", "node9"))
      && successor.state().memberNames().equals(List.of("node0", "node9")), () -> List.of(a.state(), successor.state()));
    assertNotEquals(holderId, successor.state().getMembers().get(1).getNodeId());
  }
}
