package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import dev.cloister.testing.TestPorts;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.protocols.DELAY;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.Util;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The suspicion check on three real channels of Cloister's stack on loopback, where the third
 * member, m2, is alive but sends everything {@link #ANSWER_DELAY_MS} late (JGroups' DELAY right
 * above its transport): longer than the check waits after a closed connection, shorter than it
 * waits after a silence. Its heartbeats still arrive, late but steady, so FD_ALL3 never suspects
 * it by itself; each test raises a suspicion on the coordinator as FD_ALL3 or FD_SOCK2 would.
 */
class SuspectCheckTest {

  private static final long HEARTBEAT_MS = 500;
  /** FD_ALL3's timeout: a silence check of half that, 1.5 s; a socket check of 500 ms. */
  private static final long SUSPECT_MS = 3_000;
  private static final FailureDetection TIMINGS = new FailureDetection(HEARTBEAT_MS, SUSPECT_MS, 500, 500);
  private static final int ANSWER_DELAY_MS = 900;

  private final List<JChannel> channels = new ArrayList<>();
  private SuspectCheck check;
  private Address fast;
  private Address slow;

  @BeforeEach
  void threeMembersTheLastOneSlow() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    List<Integer> ports = TestPorts.block(3);
    List<InetSocketAddress> seeds = LoopbackChannels.seeds(ports);
    String cluster = "suspect-check-" + ports.get(0);
    DELAY delay = new DELAY();
    delay.setValue("constant_delay", true);
    for (int i = 0; i < 3; i++) {
      JChannel c = JGroupsStack.channel(new ClusterBinding(loopback, ports.get(i), 0), seeds, null, TIMINGS);
      if (i == 2) {
        c.getProtocolStack().insertProtocol(delay, ProtocolStack.Position.ABOVE, TCP.class);
        delay.init();
      }
      c.name("m" + i);
      channels.add(c);
      // One after another, so the view is [m0, m1, m2] and m0 coordinates.
      c.connect(cluster);
    }
    eventually("all three in one view", () -> channels.stream().allMatch(c -> c.getView().size() == 3),
      () -> LoopbackChannels.views(channels));
    check = channels.get(0).getProtocolStack().findProtocol(SuspectCheck.class);
    assertEquals(500, check.socketWait());
    assertEquals(1_500, check.silenceWait());
    fast = channels.get(1).getAddress();
    slow = channels.get(2).getAddress();
    delay.setOutDelay(ANSWER_DELAY_MS);
  }

  @AfterEach
  void close() {
    channels.forEach(Util::close);
  }

  @Test
  void aSilentMemberThatAnswersLateButWithinTheSilenceWaitStays() {
    check.up(new Event(Event.SUSPECT, List.of(slow)));

    eventually("the check concludes", () -> check.cleared() + check.confirmed() == 1, this::counts);
    assertEquals(1, check.cleared(), "m2 answered within the silence wait: " + counts());
    assertTrue(channels.get(0).getView().containsMember(slow), LoopbackChannels.views(channels).toString());
  }

  @Test
  void aMemberWhoseConnectionClosedIsExcludedUnlessItAnswersWithinTheShortWait() {
    check.socketsClosed(List.of(slow));
    check.up(new Event(Event.SUSPECT, List.of(slow)));

    eventually("the check concludes", () -> check.cleared() + check.confirmed() == 1, this::counts);
    assertEquals(1, check.confirmed(), "m2 answers after the socket wait: " + counts());
    eventually("the coordinator excludes m2", () -> !channels.get(0).getView().containsMember(slow),
      () -> LoopbackChannels.views(channels));
  }

  @Test
  void aSuspicionRaisedWhileAnotherIsCheckedGetsItsWholeWait() throws InterruptedException {
    check.up(new Event(Event.SUSPECT, List.of(fast)));
    // The second suspicion comes while the first one's wait still runs: JGroups' VERIFY_SUSPECT2
    // confirms it when that wait ends, before m2's answer can arrive.
    Thread.sleep(700);
    check.up(new Event(Event.SUSPECT, List.of(slow)));

    eventually("the check concludes", () -> check.cleared() + check.confirmed() == 2, this::counts);
    assertEquals(2, check.cleared(), "both answered within their own silence waits: " + counts());
    assertTrue(channels.get(0).getView().containsMember(slow), LoopbackChannels.views(channels).toString());
  }

  private String counts() {
    return "confirmed " + check.confirmed() + ", cleared " + check.cleared() + ", pending " + check.getSuspects()
      + ", views " + LoopbackChannels.views(channels);
  }
}
