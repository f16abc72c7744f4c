package dev.cloister.faults;

import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import org.infinispan.context.Flag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replicas of the members cache that disagree with the nodes they describe. One kept an old value
 * of another node's record, as after a write that reached some replicas and not others: that
 * node's replica is right, so it never writes again by itself; the node with the stale replica must
 * get the record rewritten and converge. Another lost its own node's record.
 */
class StaleReplicaTest {

  private CloisterCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeWhoseReplicaKeptAnOldRecordGetsItRewrittenAndConverges() {
    cluster = CloisterCluster.builder().nodes(3).consensus(2).start();
    cluster.awaitConverged();
    CloisterNode writer = cluster.node(1);
    CloisterNode reader = cluster.node(2);
    String name = writer.name();
    String current = (String) Members.cache(writer.vertx()).get(name);
    MemberRecord r = MemberRecord.decode(name, current);
    String old = r.report(CloisterStatus.REHASHING, "0123456789abcdef").encode();

    Members.cache(reader.vertx()).getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL).put(name, old);
    assertEquals(old, Members.cache(reader.vertx()).get(name), "the reader's replica holds the old record");
    assertEquals(current, Members.cache(writer.vertx()).get(name), "the writer's replica is untouched");

    cluster.eventually(() -> assertNotEquals(old, Members.cache(reader.vertx()).get(name),
      "the record was rewritten on the reader's replica"));
    cluster.awaitConverged();
    String repaired = (String) Members.cache(reader.vertx()).get(name);
    assertEquals(r.checksum(), MemberRecord.decode(name, repaired).checksum(), "the reader sees the writer's checksum");
    assertTrue(reader.state().isConverged(), "the reader converged");
  }

  /*
   * A node whose replica lost its own record, as after a cut during which the other side purged it
   * and the removal reached this node once the cut healed: until its rewrite lands it counts nobody,
   * so it never answers for a ring without itself. (On the real-network rig such a node was READY
   * and quorate on a ring of four without itself while another node was READY on all five.)
   */
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
