package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import org.jgroups.JChannel;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

import javax.crypto.SecretKey;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The JGroups stack Cloister builds for itself: TCP (no multicast anywhere), TCPPING seeded from
 * the sentry, and failure detection tuned so that a killed process is noticed within a few seconds
 * while a slow network (a round trip up to about a second) is not mistaken for dead peers.
 *
 * <p>Timings (each measured, see README and docs/failure-modes.md): {@code tcp_nodelay} removes a
 * ~40 ms stall from every synchronous cluster call; a short {@link #SOCK_CONN_TIMEOUT} keeps an
 * unreachable peer from holding up the sending thread; FD_SOCK2 ({@link FdSockOffSelector})
 * suspects a neighbour whose socket closed (a crashed process) at once and {@link SuspectCheck}
 * confirms it unless it answers within a short wait; FD_ALL3 heartbeats catch a hung or
 * unreachable peer whose socket stays open, and the check waits longer before it confirms a
 * silence, which a slow network can also cause; a
 * short GMS join timeout lets the first node form a cluster alone quickly. Those four timings are
 * options ({@link FailureDetection}); their defaults and trade-offs are documented with the options.
 *
 * <p>With a cluster key, SYM_ENCRYPT (AES/CBC, below NAKACK2 as JGroups recommends) encrypts every
 * message above it, which is all cluster data: Infinispan's replication, member records, event-bus
 * subscriptions. It drops messages without its header (a node without the secret) and messages
 * of another key version from non-members (a node with a wrong secret), so such nodes never join.
 * Discovery, merge and failure-detection traffic below it carries addresses and heartbeats only.
 */
public final class JGroupsStack {

  /**
   * TCP's connect timeout, ms. JGroups sends every message of a node from one bundler thread,
   * and a message to a member without a connection first connects to it: towards an unreachable
   * peer (a partition, a host gone) that connect waits this long, and meanwhile no heartbeat
   * leaves for the reachable ones, so they suspect each other. With JGroups' 2000 ms the majority
   * of a real 2 | 3 cut fell apart into single-node clusters; a connect on a live network takes
   * one round trip, well below this.
   */
  public static final int SOCK_CONN_TIMEOUT = 300;
  /**
   * JGroups' bundler: one sending thread per destination, so that messages to an unreachable peer
   * (discovery, merge announcements to a cut-off side) wait for their connect on their own thread
   * instead of holding up the heartbeats and acknowledgements to reachable ones. JGroups' own
   * {@code per-destination} bundler never stops the thread of a destination that left the view;
   * this one does ({@link RetiringBundler}).
   */
  public static final String BUNDLER = RetiringBundler.class.getName();
  /**
   * FD_SOCK2's connect timeout, ms: how long a connect to a neighbour's ping socket may take before
   * the neighbour is suspected. It must stay above the network's round trip: with 200 ms, a view
   * change under 200 ms ± 50 ms one-way delay (a 400 ms round trip) made every failure detector
   * fail its new connect and suspect its neighbour, and the cluster broke into single nodes. It
   * does not delay crash detection: a closed socket is suspected before any connect.
   */
  public static final int FD_SOCK_CONNECT_TIMEOUT = 1000;
  /** MERGE3's shortest interval between two announcements of a member's view, ms. */
  public static final long MERGE_MIN_INTERVAL = 1000;
  /**
   * MERGE3's longest interval between announcements, ms. MERGE3 looks for diverging views every
   * 1.6 times this: 5000 ms made that 8 s, and a healed 3 + 2 split of node JVMs took 8.3 to
   * 12.3 s to become one converged ring (8 runs); 3000 ms (a check every 4.8 s) brought it to 5.0
   * to 8.2 s. Once a merged view took under a second to converge (see {@link #XMIT_INTERVAL}),
   * finding the split views was most of a heal: 1.3 to 8.7 s from the heal to the merged view on
   * the real-network rig; 1500 ms checks every 2.4 s. Each member sends one small INFO message
   * per interval to each other member: nothing for clusters of this size.
   */
  public static final long MERGE_MAX_INTERVAL = 1500;
  /**
   * How often NAKACK2 and UNICAST3 look for messages to send again, ms (JGroups: 1000 and 500). Right
   * after a merge the new coordinator's first messages (Infinispan asks every member for its caches'
   * status) reach members that have not installed the merged view yet, which drop them as from a
   * non-member; they arrive only when retransmitted. On the real-network rig Infinispan's recovery
   * began 1.1 to 3.3 s after the merged view (69 to 790 ms since), and every node waited, not
   * quorate, for the records of the members back in its view until then. Over TCP messages are
   * lost only around view changes and broken connections, so the shorter interval costs timer
   * ticks, not traffic.
   */
  public static final long XMIT_INTERVAL = 200;

  private JGroupsStack() {
  }

  /**
   * Builds an unconnected channel.
   *
   * @param binding where to bind
   * @param seeds the initial hosts for discovery (may be empty: this node alone)
   * @param key the cluster key (see {@link ClusterSecret}), or {@code null} for no encryption
   * @param timings the failure-detection timings
   * @return a channel that Infinispan's transport will connect
   * @throws Exception when JGroups refuses the stack
   */
  public static JChannel channel(ClusterBinding binding, List<InetSocketAddress> seeds, SecretKey key,
                                 FailureDetection timings) throws Exception {
    TCP tcp = new TCP();
    tcp.setBindAddress(binding.host());
    tcp.setBindPort(binding.port());
    tcp.setPortRange(binding.portRange());
    tcp.tcpNodelay(true);
    tcp.setValue("sock_conn_timeout", SOCK_CONN_TIMEOUT);
    tcp.setValue("bundler_type", BUNDLER);
    // Diagnostics listen on a multicast socket: a cluster on TCP must not open one.
    if (tcp.getDiagnosticsHandler() != null) {
      tcp.getDiagnosticsHandler().setEnabled(false);
    }

    List<InetSocketAddress> initial = new ArrayList<>(seeds);
    if (initial.isEmpty()) {
      initial.add(new InetSocketAddress(binding.host(), binding.port()));
    }
    TCPPING ping = new TCPPING();
    ping.setInitialHosts(initial);
    ping.setPortRange(0);

    MERGE3 merge = new MERGE3().setMinInterval(MERGE_MIN_INTERVAL).setMaxInterval(MERGE_MAX_INTERVAL);

    FD_SOCK2 fdSock = new FdSockOffSelector().setBindAddress(binding.host());
    fdSock.setValue("connect_timeout", FD_SOCK_CONNECT_TIMEOUT);

    FD_ALL3 fdAll = new FD_ALL3();
    fdAll.setInterval(timings.heartbeatInterval());
    fdAll.setTimeout(timings.suspectTimeout());

    SuspectCheck verify = new SuspectCheck(timings.verifySuspectTimeout(), timings.silenceCheck());

    NAKACK2 nakack = new NAKACK2();
    nakack.setValue("use_mcast_xmit", false);
    nakack.setXmitInterval(XMIT_INTERVAL);
    UNICAST3 unicast = new UNICAST3().setXmitInterval(XMIT_INTERVAL);

    GMS gms = new GMS().setJoinTimeout(timings.joinTimeout());
    gms.setValue("print_local_addr", false);

    // LivenessWatch right above the transport: it must see every message, heartbeats included.
    List<Protocol> stack = new ArrayList<>(List.of(tcp, new LivenessWatch(), ping, merge, fdSock, fdAll, verify,
      new BARRIER()));
    if (key != null) {
      SYM_ENCRYPT encrypt = new SYM_ENCRYPT().setSecretKey(key);
      encrypt.setValue("sym_algorithm", "AES/CBC/PKCS5Padding");
      encrypt.setValue("sym_iv_length", 16);
      stack.add(encrypt);
    }
    stack.addAll(List.of(nakack, unicast, new STABLE(), gms, new UFC(), new MFC(), new FRAG4()));
    return new JChannel(stack.toArray(new Protocol[0]));
  }
}
