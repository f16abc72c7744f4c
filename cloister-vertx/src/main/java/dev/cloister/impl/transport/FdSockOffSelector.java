package dev.cloister.impl.transport;

import org.jgroups.blocks.cs.Connection;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_SOCK2;

/**
 * JGroups' FD_SOCK2 with one change: when the connection to the watched neighbour closes, the
 * search for the next neighbour runs on a thread of the transport's pool instead of the socket
 * server's selector thread.
 *
 * <p>Why: FD_SOCK2 learns of a closed connection on its server's only selector thread, and hands
 * the search for a new neighbour to a queue that runs it on the calling thread. That search sends
 * a CONNECT to the next member and waits up to {@code connect_timeout} for the answer, which only
 * the same selector thread can read: every attempt waited its full timeout and failed, FD_SOCK2
 * went on to the member's other candidate ports and then to the next members, and suspected them
 * all. A crashed process was suspected only after those timeouts (or by FD_ALL3's heartbeats first),
 * and on a real network a neighbour that left gracefully made a node suspect every live member at
 * once (see docs/failure-modes.md). Off the selector thread the CONNECT is answered within a round
 * trip and only the crashed neighbour is suspected.
 *
 * <p>It speaks FD_SOCK2's protocol under FD_SOCK2's id, so it works beside plain FD_SOCK2 nodes.
 */
public final class FdSockOffSelector extends FD_SOCK2 {

  /** A protocol for the stack, under FD_SOCK2's id. */
  public FdSockOffSelector() {
    setId(ClassConfigurator.getProtocolId(FD_SOCK2.class));
  }

  @Override
  public void connectionClosed(Connection conn) {
    if (timer == null) {
      super.connectionClosed(conn);
      return;
    }
    timer.execute(() -> super.connectionClosed(conn), true);
  }
}
