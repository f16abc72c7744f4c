package dev.cloister.faults;

import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import org.infinispan.context.Flag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replica of the members cache that kept an old value of another node's record, as after a write
 * that reached some replicas and not others: that node's replica is right, so it never writes
 * again by itself; the node with the stale replica must get the record rewritten and converge.
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
}
