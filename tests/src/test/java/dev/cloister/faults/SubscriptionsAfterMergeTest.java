package dev.cloister.faults;

import dev.cloister.NodeReply;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a partition heals, consumers that live on one side only are reachable from the other
 * again: the lost-subscriptions-after-merge problem of the Vert.x cluster managers.
 */
class SubscriptionsAfterMergeTest {

  private static boolean answers(CloisterNode from, String address) {
    try {
      return "pong".equals(from.vertx().eventBus().request(address, "ping").await(5, TimeUnit.SECONDS).body());
    } catch (Exception e) {
      return false;
    }
  }

  private static List<NodeReply> multicall(CloisterNode from, String node, String address) {
    try {
      return from.cloister().multicall(List.of(node), address, "ping").await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the multicall itself failed: " + e, e);
    }
  }

  @Test
  void aConsumerOnTheOtherSideAnswersAgainAfterTheHeal() throws Exception {
    try (CloisterCluster cluster = CloisterCluster.builder().nodes(4).consensus(2).start()) {
      CloisterNode far = cluster.node(3);
      far.vertx().eventBus().consumer("only.on.node3", m -> m.reply("pong")).completion().await(60, TimeUnit.SECONDS);
      cluster.awaitConverged();
      cluster.eventually(() -> assertTrue(answers(cluster.node(0), "only.on.node3"), "node0 reaches node3's consumer"));

      cluster.partition(new int[] {0, 1}, new int[] {2, 3});
      cluster.awaitConverged(0, 1);
      cluster.awaitConverged(2, 3);

      cluster.heal();
      cluster.awaitConverged();
      cluster.eventually(() -> assertTrue(answers(cluster.node(0), "only.on.node3"),
        "node0 reaches node3's consumer after the heal"));
      cluster.eventually(() -> {
        List<NodeReply> r = multicall(cluster.node(1), "node3", "only.on.node3");
        assertTrue(r.get(0).isSucceeded(), "node3 answers node1's sibling call: " + r
          + " direct from node1: " + answers(cluster.node(1), "only.on.node3"));
      });
      assertEquals("pong", multicall(cluster.node(0), "node3", "only.on.node3").get(0).getBody());
    }
  }
}
