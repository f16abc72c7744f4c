package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import dev.cloister.testing.TestPorts;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.Util;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The suspicion check on real JGroups channels (Cloister's own stack, on loopback): a live suspect
 * answers and stays, and a silent one whose ports still accept connections waits out its whole
 * deadline. A killed process, confirmed by its refused ports, needs a real kill: {@code CrashTest}.
 */
class SuspectCheckTest {

  private static final long TEN_MINUTES = 600_000;
  private final List<JChannel> channels = new ArrayList<>();

  @AfterEach
  void close() {
    channels.forEach(Util::close);
  }

  private List<JChannel> three(long heartbeat, long silence, long check) throws Exception {
    List<Integer> ports = TestPorts.block(3);
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<InetSocketAddress> seeds = ports.stream().map(p -> new InetSocketAddress(lo, p)).toList();
    for (int port : ports) {
      JChannel ch = JGroupsStack.channel(new ClusterBinding(lo, port, 0), seeds, null,
        new FailureDetection(heartbeat, silence, check, 500));
      channels.add(ch);
      ch.connect("suspect-check-test");
    }
    eventually("one view of three", () -> channels.stream().allMatch(c -> c.getView().size() == 3),
      () -> channels.stream().map(JChannel::getView).toList());
    return channels;
  }

  private static SuspectCheck check(JChannel ch) {
    return ch.getProtocolStack().findProtocol(SuspectCheck.class);
  }

  @Test
  void aLiveSuspectAnswersAndStaysAMember() throws Exception {
    three(500, 2000, TEN_MINUTES);
    JChannel coordinator = channels.get(0);
    Address suspect = channels.get(1).getAddress();
    SuspectCheck check = check(coordinator);
    check.up(new Event(Event.SUSPECT, List.of(suspect)));
    eventually("the suspect answers", () -> check.answered() == 1, check::answered);
    assertEquals(0, check.confirmedByRefusal(), "a live member's ports accept connections: no shortcut");
    assertTrue(coordinator.getView().containsMember(suspect), "still a member: " + coordinator.getView());
    assertEquals(3, coordinator.getView().size());
  }

  @Test
  void aSilentMemberWhosePortsStillAcceptWaitsOutItsDeadline() throws Exception {
    three(200, 1000, 1000);
    JChannel silent = channels.get(2);
    Address mute = silent.getAddress();
    DISCARD discard = new DISCARD().discardAll(true);
    discard.setAddress(mute);
    silent.getProtocolStack().insertProtocol(discard, ProtocolStack.Position.ABOVE, TP.class);
    List<JChannel> survivors = channels.subList(0, 2);
    eventually("the survivors exclude the silent member",
      () -> survivors.stream().noneMatch(c -> c.getView().containsMember(mute)),
      () -> survivors.stream().map(JChannel::getView).toList());
    for (JChannel c : survivors) {
      assertEquals(0, check(c).confirmedByRefusal(), "its failure detector still listens: no shortcut");
    }
  }

  @Test
  void onlyRefusalsOnEveryPortCountAsDead() throws Exception {
    long soon = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    InetAddress lo = InetAddress.getLoopbackAddress();
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, lo)) {
      closed = s.getLocalPort();
    }
    try (ServerSocket open = new ServerSocket(0, 1, lo)) {
      InetSocketAddress refused = new InetSocketAddress(lo, closed);
      InetSocketAddress listening = new InetSocketAddress(lo, open.getLocalPort());
      assertEquals(SuspectCheck.Knock.REFUSED, SuspectCheck.knock(List.of(refused, refused), soon));
      assertEquals(SuspectCheck.Knock.ACCEPTED, SuspectCheck.knock(List.of(refused, listening), soon), "one port listens");
      assertEquals(SuspectCheck.Knock.NO_ANSWER, SuspectCheck.knock(List.of(), soon), "no port tried is no evidence");
      assertEquals(SuspectCheck.Knock.NO_ANSWER, SuspectCheck.knock(List.of(refused), System.nanoTime() - 1),
        "past the deadline");
    }
  }
}
