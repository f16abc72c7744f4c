package dev.cloister.impl.transport;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.testing.TestPorts;
import io.vertx.core.Vertx;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.DefaultCacheManager;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a node learns of its transport: read from the channel, whoever built it. */
class NodeTransportTest {

  @Test
  void cloistersOwnTransportFollowsDiscoveryAndIsReadFromItsStack() {
    Vertx vertx = await(Vertx.builder().withClusterManager(new CloisterClusterManager(new CloisterOptions()
      .setLoopback(true).setClusterPort(TestPorts.block(1).get(0)))).buildClustered());
    try {
      NodeTransport t = NodeTransport.of(vertx);
      assertTrue(t.ownsDiscovery());
      assertEquals(NodeConfig.of(new CloisterOptions()).failureDetectionBound(), t.failureDetectionBound(),
        "the bound read from the channel is the one the options give");
      assertEquals(3500, t.failureDetectionBound(),
        "2000 ms of silence + one 500 ms heartbeat + a silence check of half the silence");
      assertEquals(2 * t.failureDetectionBound(), t.nameClaimGrace());
    } finally {
      await(vertx.close());
    }
    assertNull(vertx.sharedData().getLocalMap(NodeTransport.MAP).get(NodeTransport.OWNS_DISCOVERY),
      "the transport removes what it published when it stops");
  }

  @Test
  void aHandConfiguredClusterManagerIsJudgedByItsOwnTimings() throws Exception {
    ClusterBinding binding = new ClusterBinding(InetAddress.getLoopbackAddress(), TestPorts.block(1).get(0), 0);
    JChannel channel = JGroupsStack.channel(binding, List.of(), null, NodeConfig.of(new CloisterOptions())
      .failureDetection());
    channel.getProtocolStack().<FD_ALL3>findProtocol(FD_ALL3.class).setTimeout(7000).setInterval(1000);
    channel.getProtocolStack().<VERIFY_SUSPECT2>findProtocol(VERIFY_SUSPECT2.class).setTimeout(900);
    DefaultCacheManager manager = CacheManagers.create(channel, "node-transport-test");
    manager.start();
    try {
      assertEquals(8900, NodeTransport.readBound(new InfinispanClusterManager(manager)));
      assertEquals(17800, new NodeTransport(false, 8900).nameClaimGrace());
    } finally {
      manager.stop();
    }
  }

  @Test
  void anUnreadableTransportGetsTheConservativeBound() {
    assertEquals(NodeTransport.UNKNOWN_FAILURE_DETECTION_BOUND, NodeTransport.readBound(new InfinispanClusterManager()));
    Vertx plain = Vertx.vertx();
    try {
      NodeTransport t = NodeTransport.of(plain);
      assertFalse(t.ownsDiscovery());
      assertEquals(NodeTransport.UNKNOWN_FAILURE_DETECTION_BOUND, t.failureDetectionBound());
    } finally {
      await(plain.close());
    }
  }
}
