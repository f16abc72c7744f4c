package com.example;

import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterTest;
import io.vertx.core.eventbus.DeliveryOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GreeterClusterTest {

  private static final List<String> NAMES = List.of("alice", "bob", "carol", "dave", "erin", "frank");

  @Test
  @CloisterTest(nodes = 3, consensus = 2, deploy = Greeter.class)
  void survivorsOfACrashAgreeOnWhoOwnsWhat(CloisterCluster cluster) throws Exception {
    cluster.kill(2);
    cluster.awaitConverged();
    for (String name : NAMES) {
      String owner = cluster.node(0).cloister().whois(name);
      assertTrue(owner.equals("node0") || owner.equals("node1"), name + " is owned by a survivor, not " + owner);
      assertEquals(owner, cluster.node(1).cloister().whois(name));
      // Node1's own Greeter (local only: the dead node's subscription may linger a moment).
      String greeting = cluster.node(1).vertx().eventBus()
        .<String>request(Greeter.ADDRESS, name, new DeliveryOptions().setLocalOnly(true))
        .await(10, TimeUnit.SECONDS).body();
      assertEquals("hello " + name + ", owned by " + owner, greeting);
    }
    cluster.restart(2);
    cluster.awaitConverged();
    assertEquals(cluster.node(0).cloister().whois("alice"), cluster.node(2).cloister().whois("alice"));
  }

  @Test
  @CloisterTest(nodes = 3, consensus = 2, deploy = Greeter.class)
  void aPartitionLeavesOneQuorateSideAndHealsIntoOneRing(CloisterCluster cluster) {
    cluster.partition(new int[] {0, 1}, new int[] {2});
    cluster.awaitConverged(0, 1);
    cluster.eventually(() -> assertFalse(cluster.node(2).state().isQuorate(), "node2 alone is below consensus 2"));
    cluster.heal();
    cluster.awaitConverged();
    for (String name : NAMES) {
      assertEquals(cluster.node(0).cloister().whois(name), cluster.node(2).cloister().whois(name));
    }
  }
}
