package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.TestPorts;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash seen through FD_SOCK2's sockets, on three real channels of Cloister's stack on loopback,
 * one of them in a JVM of its own that is killed with SIGKILL: the neighbour that watched it
 * suspects it, and it alone, and the survivors exclude it. Heartbeats never suspect anyone within
 * the test, so only the sockets can tell.
 *
 * <p>JGroups' own FD_SOCK2 fails the second assertion: it looks for the next neighbour on its
 * selector thread, which alone could read the neighbour's answer, so it gives up on the live
 * neighbour and suspects it too.
 */
class FdSockOffSelectorTest {

  private static final long HEARTBEAT_MS = 1_000;
  private static final long NEVER_SUSPECT_MS = 600_000;
  private static final FailureDetection SOCKETS_ONLY = new FailureDetection(HEARTBEAT_MS, NEVER_SUSPECT_MS, 500, 500);

  @Test
  void aKilledMemberIsSuspectedAloneAndExcluded() throws Exception {
    List<Integer> ports = TestPorts.block(3);
    List<InetSocketAddress> seeds = LoopbackChannels.seeds(ports);
    String cluster = "fd-sock-" + ports.get(0);
    List<JChannel> channels = new ArrayList<>();
    String[] args = {"m1", Integer.toString(ports.get(1)), cluster, Long.toString(HEARTBEAT_MS),
      Long.toString(NEVER_SUSPECT_MS), ports.get(0).toString(), ports.get(1).toString(), ports.get(2).toString()};
    // Joined one after another, so the view is [m0, m1, m2] and m0 watches m1, its right neighbour.
    channels.add(connect("m0", ports.get(0), seeds, cluster));
    try (JavaProcess victim = JavaProcess.launch(FdSockChannelMain.class.getName(), Map.of(), args)) {
      victim.awaitLine("m1 in a view with m0", l -> l.startsWith("joined"), 60_000);
      channels.add(connect("m2", ports.get(2), seeds, cluster));
      eventually("all three in one view", () -> channels.stream().allMatch(c -> c.getView().size() == 3),
        () -> LoopbackChannels.views(channels));
      Address crashed = channels.get(0).getView().getMembers().get(1);
      assertEquals("m1", crashed.toString(), "the killed JVM is the first one's right neighbour");

      victim.close();

      eventually("the survivors exclude " + crashed, () -> channels.stream()
        .allMatch(c -> c.getView().size() == 2 && !c.getView().containsMember(crashed)),
        () -> LoopbackChannels.views(channels));
      for (JChannel c : channels) {
        FD_SOCK2 fd = c.getProtocolStack().findProtocol(FD_SOCK2.class);
        assertTrue(fd instanceof FdSockOffSelector, "Cloister's stack watches sockets off the selector thread");
        String history = fd.printSuspectHistory();
        assertTrue(history.contains(crashed.toString()), c.getAddress() + " heard m0 suspect " + crashed
          + "; its history: " + history);
        for (JChannel other : channels) {
          assertFalse(history.contains(other.getAddress().toString()), c.getAddress() + " heard a live member, "
            + other.getAddress() + ", suspected; its history: " + history);
        }
      }
    } finally {
      for (JChannel c : channels) {
        Util.close(c);
      }
    }
  }

  private static JChannel connect(String name, int port, List<InetSocketAddress> seeds, String cluster)
    throws Exception {
    JChannel c = JGroupsStack.channel(new ClusterBinding(InetAddress.getLoopbackAddress(), port, 0), seeds, null,
      SOCKETS_ONLY);
    c.name(name);
    c.connect(cluster);
    return c;
  }
}
