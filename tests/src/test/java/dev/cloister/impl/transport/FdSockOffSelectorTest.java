package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import dev.cloister.testing.TestPorts;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash seen through FD_SOCK2's sockets, on three real channels of Cloister's stack on loopback,
 * with heartbeats that never suspect anyone and a suspicion check that would wait ten minutes for
 * an answer: only the sockets can tell, and a crash must not wait for the check.
 */
class FdSockOffSelectorTest {

  private static final FailureDetection SOCKETS_ONLY = new FailureDetection(1_000, 600_000, 600_000, 500);
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  @Test
  void aCrashedMemberIsExcludedWithoutWaitingOutTheCheckAndNoLiveMemberIsSuspected() throws Exception {
    List<Integer> ports = TestPorts.block(3);
    List<InetSocketAddress> seeds = ports.stream().map(p -> new InetSocketAddress(LOOPBACK, p)).toList();
    String cluster = "fd-sock-" + ports.get(0);
    List<JChannel> channels = new ArrayList<>();
    List<JChannel> crashedChannels = new ArrayList<>();
    try {
      for (int i = 0; i < ports.size(); i++) {
        JChannel c = JGroupsStack.channel(new ClusterBinding(LOOPBACK, ports.get(i), 0), seeds, null, SOCKETS_ONLY);
        c.name("m" + i);
        c.connect(cluster);
        channels.add(c);
      }
      eventually("all three in one view", () -> channels.stream().allMatch(c -> c.getView().size() == 3),
        () -> views(channels));

      // The second member of the view, which the first one watches.
      View view = channels.get(0).getView();
      Address crashed = view.getMembers().get(1);
      JChannel victim = channels.stream().filter(c -> c.getAddress().equals(crashed)).findFirst().orElseThrow();
      // A crash: the sockets close, and no leave is sent.
      victim.getProtocolStack().stopStack(cluster);
      channels.remove(victim);
      crashedChannels.add(victim);

      eventually("the survivors exclude " + crashed, () -> channels.stream()
        .allMatch(c -> c.getView().size() == 2 && !c.getView().containsMember(crashed)), () -> views(channels));
      for (JChannel c : channels) {
        FD_SOCK2 fd = c.getProtocolStack().findProtocol(FD_SOCK2.class);
        assertTrue(fd instanceof FdSockOffSelector, "Cloister's stack watches sockets off the selector thread");
        String history = fd.printSuspectHistory();
        assertTrue(history.contains(crashed.toString()), c.getAddress() + " heard " + view.getMembers().get(0)
          + " suspect " + crashed + "; its history: " + history);
        for (JChannel other : channels) {
          assertFalse(history.contains(other.getAddress().toString()), c.getAddress() + " heard a live member, "
            + other.getAddress() + ", suspected; its history: " + history);
        }
      }
    } finally {
      channels.addAll(crashedChannels);
      for (JChannel c : channels) {
        Util.close(c);
      }
    }
  }

  @Test
  void aKnockTellsAListeningSocketFromARefusal() throws Exception {
    InetSocketAddress address;
    try (ServerSocket listening = new ServerSocket(0, 1, LOOPBACK)) {
      address = new InetSocketAddress(LOOPBACK, listening.getLocalPort());
      assertEquals(FdSockOffSelector.Knock.ANSWERED, FdSockOffSelector.knock(address, 1_000));
    }
    assertEquals(FdSockOffSelector.Knock.REFUSED, FdSockOffSelector.knock(address, 1_000), "nothing listens any more");
  }

  @Test
  void onlyTheMemberThatCoordinatesOnceTheCrashedOneIsGoneActs() {
    Address a = org.jgroups.util.UUID.randomUUID();
    Address b = org.jgroups.util.UUID.randomUUID();
    Address c = org.jgroups.util.UUID.randomUUID();
    View v = View.create(a, 4, a, b, c);
    assertTrue(CrashConfirm.coordinatorWithout(v, b, a), "the coordinator, when another member crashed");
    assertFalse(CrashConfirm.coordinatorWithout(v, b, c));
    assertTrue(CrashConfirm.coordinatorWithout(v, a, b), "the next in line, when the coordinator crashed");
    assertFalse(CrashConfirm.coordinatorWithout(v, a, c));
  }

  private static Map<String, String> views(List<JChannel> channels) {
    Map<String, String> out = new TreeMap<>();
    channels.forEach(c -> out.put(String.valueOf(c.getAddress()), String.valueOf(c.getView())));
    return out;
  }
}
