package dev.cloister.impl.transport;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.testing.TestPorts;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.DefaultCacheManager;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a node learns of its transport: Cloister's answers for itself, any other is read from its channel. */
class NodeTransportTest {

  @Test
  void cloistersOwnTransportFollowsDiscoveryAndKnowsItsTimings() {
    CloisterClusterManager cm = new CloisterClusterManager(new CloisterOptions().setLoopback(true)
      .setClusterPort(TestPorts.block(1).get(0)));
    NodeTransport t = NodeTransport.of(cm);
    assertSame(cm, t);
    assertTrue(t.ownsDiscovery());
    assertEquals(JGroupsStack.HEARTBEAT_TIMEOUT + JGroupsStack.VERIFY_SUSPECT_TIMEOUT, t.failureDetectionBound());
    assertEquals(2 * t.failureDetectionBound(), t.nameClaimGrace());
  }

  @Test
  void aHandConfiguredClusterManagerIsReadFromItsChannel() throws Exception {
    ClusterBinding binding = new ClusterBinding(InetAddress.getLoopbackAddress(), TestPorts.block(1).get(0), 0);
    JChannel channel = JGroupsStack.channel(binding, List.of(), null);
    channel.getProtocolStack().<FD_ALL3>findProtocol(FD_ALL3.class).setTimeout(7000);
    channel.getProtocolStack().<VERIFY_SUSPECT2>findProtocol(VERIFY_SUSPECT2.class).setTimeout(900);
    DefaultCacheManager manager = CacheManagers.create(channel, "node-transport-test");
    manager.start();
    try {
      NodeTransport t = NodeTransport.of(new InfinispanClusterManager(manager));
      assertFalse(t.ownsDiscovery(), "the user's transport: the node resolves a DNS sentry itself");
      assertEquals(7900, t.failureDetectionBound());
      assertEquals(15800, t.nameClaimGrace());
    } finally {
      manager.stop();
    }
  }

  @Test
  void anUnreadableTransportGetsTheConservativeBound() {
    NodeTransport t = NodeTransport.of(new InfinispanClusterManager());
    assertFalse(t.ownsDiscovery());
    assertEquals(NodeTransport.UNKNOWN_FAILURE_DETECTION_BOUND, t.failureDetectionBound());
  }
}
