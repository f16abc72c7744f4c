package dev.cloister.faults;

import dev.cloister.CloisterStatus;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import org.infinispan.context.Flag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A node whose replica lost its own record, as after a cut during which the other side purged it
 * and the removal reached this node once the cut healed: until its rewrite lands it counts nobody,
 * so it never answers for a ring without itself. (On the real-network rig such a node was READY
 * and quorate on a ring of four without itself while another node was READY on all five.)
 */
class OwnRecordMissingTest {

  private CloisterCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeWithoutItsOwnRecordIsNeverQuorateOnARingWithoutItselfAndWritesItAgain() {
    cluster = CloisterCluster.builder().nodes(3).consensus(2).start();
    cluster.awaitConverged();
    CloisterNode node = cluster.node(2);
    String name = node.name();
    List<String> quorateWithoutItself = new CopyOnWriteArrayList<>();
    node.cloister().listener((from, to, state) -> {
      if (state.isQuorate() && !state.memberNames().contains(name)) {
        quorateWithoutItself.add(from + " -> " + to + " " + state.memberNames());
      }
    });

    Members.cache(node.vertx()).getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL).remove(name);

    cluster.eventually(() -> assertNotNull(Members.cache(node.vertx()).get(name), "its record is back"));
    cluster.awaitConverged();
    assertEquals(CloisterStatus.READY, node.state().getStatus());
    assertEquals(List.of(), quorateWithoutItself, name + " was quorate on a ring without itself");
  }
}
