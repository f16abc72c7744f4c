package dev.cloister.impl.transport;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.testing.TestPorts;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Node ids: the node's name first, then enough randomness that two nodes never share one. */
class NodeIdsTest {

  @Test
  void aNodesIdStartsWithItsNameAndEndsWithTwelveRandomHexDigits() {
    Vertx vertx = await(Vertx.builder().withClusterManager(new CloisterClusterManager(new CloisterOptions()
      .setLoopback(true).setClusterPort(TestPorts.block(1).get(0)).setNodeName("alpha"))).buildClustered());
    try {
      String id = ((VertxInternal) vertx).clusterManager().getNodeId();
      assertTrue(id.matches("alpha-[0-9a-f]{12}"), id);
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void aMillionIdsOfOneNameAreAllDifferent() {
    // JGroups' default (host name and a number below 65535) repeats within a few hundred.
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1_000_000; i++) {
      assertTrue(ids.add(NodeIds.fresh("node3")), "a repeated id after " + i);
    }
  }

  @Test
  void onlyANamesSafeCharactersLeadAndNoNameStillGivesAnId() {
    assertTrue(NodeIds.fresh("app@10.0.0.7:7800 \u00e9/x").matches("app10.0.0.77800x-[0-9a-f]{12}"));
    assertTrue(NodeIds.fresh("@@@").matches("node-[0-9a-f]{12}"));
    assertTrue(NodeIds.fresh(null).matches("node-[0-9a-f]{12}"));
    assertEquals(NodeIds.MAX_PREFIX + 13, NodeIds.fresh("n".repeat(100)).length());
  }
}
