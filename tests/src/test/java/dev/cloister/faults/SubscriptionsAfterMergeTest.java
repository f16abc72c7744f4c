package dev.cloister.faults;

import dev.cloister.junit5.internal.Partitioner;

import dev.cloister.NodeReply;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import org.jgroups.Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * After a partition heals, consumers that live on one side only are reachable from the other
 * again: the lost-subscriptions-after-merge problem of the Vert.x cluster managers.
 */
class SubscriptionsAfterMergeTest {

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static boolean answers(Node from, String address) {
    try {
      return "pong".equals(from.vertx.eventBus().request(address, "ping").await(5, TimeUnit.SECONDS).body());
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void aConsumerOnTheOtherSideAnswersAgainAfterTheHeal() throws Exception {
    cluster = new InJvmCluster(4);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      nodes.add(cluster.start(i, cluster.options(i, 2)));
    }
    nodes.forEach(n -> await(n.deployment));
    Node far = nodes.get(3);
    await(far.vertx.eventBus().consumer("only.on.node3", m -> m.reply("pong")).completion());
    InJvmCluster.awaitOneRing(nodes, List.of("node0", "node1", "node2", "node3"));
    eventually("node0 reaches node3's consumer", () -> answers(nodes.get(0), "only.on.node3"), () -> "");

    List<Partitioner> p = new ArrayList<>();
    for (Node n : nodes) {
      p.add(Partitioner.of(n.vertx));
    }
    List<Address> left = List.of(p.get(0).address(), p.get(1).address());
    List<Address> right = List.of(p.get(2).address(), p.get(3).address());
    p.get(0).isolateFrom(right);
    p.get(1).isolateFrom(right);
    p.get(2).isolateFrom(left);
    p.get(3).isolateFrom(left);
    InJvmCluster.awaitOneRing(nodes.subList(0, 2), List.of("node0", "node1"));
    InJvmCluster.awaitOneRing(nodes.subList(2, 4), List.of("node2", "node3"));

    p.forEach(Partitioner::heal);
    InJvmCluster.awaitOneRing(nodes, List.of("node0", "node1", "node2", "node3"));
    eventually("node0 reaches node3's consumer after the heal", () -> answers(nodes.get(0), "only.on.node3"), () -> "");
    List<NodeReply> last = new ArrayList<>();
    eventually("node3 answers node1's sibling call", () -> {
      List<NodeReply> r = await(nodes.get(1).cloister().multicall(List.of("node3"), "only.on.node3", "ping"));
      last.clear();
      last.addAll(r);
      return r.get(0).isSucceeded();
    }, () -> last.toString() + " direct from node1: " + answers(nodes.get(1), "only.on.node3"));
    assertEquals("pong", await(nodes.get(0).cloister().multicall(List.of("node3"), "only.on.node3", "ping"))
      .get(0).getBody());
  }
}
