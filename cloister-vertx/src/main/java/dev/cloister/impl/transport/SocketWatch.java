package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.blocks.cs.Connection;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.stack.IpAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * JGroups' FD_SOCK2 (each member holds a TCP connection to its neighbour's failure-detection
 * socket and suspects the neighbour when it closes) that tells the others the moment that
 * connection closes, before it looks for its next neighbour.
 *
 * <p>Why: FD_SOCK2 first connects to the next neighbour and only then broadcasts the suspicion.
 * In a cluster of three that next neighbour is the member already watching this one, and on
 * loopback that connect stalled for its whole timeout, every time (measured, `bench/run.sh
 * cluster`: a killed node JVM was suspected by FD_ALL3's heartbeat timeout, 2 s later, instead of
 * at once). The suspicion now leaves first; {@link SuspectCheck} then confirms a crashed process at
 * once by its refused port, and gives a live one its time to answer.
 *
 * <p>A connection this node closes itself (its neighbour changed with a view) does not count: the
 * member watched is the one of the last successful connect.
 */
public final class SocketWatch extends FD_SOCK2 {

  /** This protocol's id in JGroups' range for applications' protocols. */
  static final short PROTOCOL_ID = 1933;

  static {
    if (ClassConfigurator.getProtocolId(SocketWatch.class) <= 0) {
      ClassConfigurator.addProtocol(PROTOCOL_ID, SocketWatch.class);
    }
  }

  /** The member watched now and the address of its failure-detection socket. */
  private record Watched(Address member, IpAddress socket) {
  }

  private volatile Watched watched;

  @Override
  protected boolean connectTo(IpAddress dest, Address member) {
    boolean connected = super.connectTo(dest, member);
    if (connected) {
      watched = new Watched(member, dest);
    }
    return connected;
  }

  @Override
  public void connectionClosed(Connection conn) {
    Watched w = watched;
    if (!shutting_down && w != null && conn != null && Objects.equals(conn.peerAddress(), w.socket())
      && members.contains(w.member())) {
      watched = null;
      log.debug("%s: connection to %s closed: suspecting it now", local_addr, w.member());
      broadcastSuspectMessage(new ArrayList<>(List.of(w.member())));
    }
    super.connectionClosed(conn);
  }

  @Override
  public void stop() {
    watched = null;
    super.stop();
  }
}
