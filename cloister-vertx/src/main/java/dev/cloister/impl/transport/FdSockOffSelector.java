package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.blocks.cs.Connection;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.stack.IpAddress;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * JGroups' FD_SOCK2 with two changes: when the connection to the watched neighbour closes, the
 * search for the next neighbour runs on a thread of the transport's pool instead of the socket
 * server's selector thread; and a neighbour whose failure-detection socket then refuses
 * connections is reported to {@link CrashConfirm} as crashed.
 *
 * <p>Why the thread: FD_SOCK2 learns of a closed connection on its server's only selector thread,
 * and hands the search for a new neighbour to a queue that runs it on the calling thread. That
 * search sends a CONNECT to the next member and waits up to {@code connect_timeout} for the answer,
 * which only the same selector thread can read: every attempt waited its full timeout and failed,
 * FD_SOCK2 went on to the member's other candidate ports and then to the next members, and
 * suspected them all. Off the selector thread the CONNECT is answered within a round trip and only
 * the crashed neighbour is suspected.
 *
 * <p>Why the knock: a closed connection alone is not proof (a member closing it on purpose), a
 * closed connection followed by a refused connect to the very address it came from is: nothing
 * listens there any more. A dying process may close its connections a moment before its listening
 * socket, so the address is knocked at again for about {@link #KNOCK_SPAN_MS} while it still
 * accepts; a member that keeps accepting is left to FD_SOCK2's suspicion and VERIFY_SUSPECT2.
 *
 * <p>It speaks FD_SOCK2's protocol under FD_SOCK2's id, so it works beside plain FD_SOCK2 nodes.
 */
public final class FdSockOffSelector extends FD_SOCK2 {

  /** How long a closed neighbour's address is knocked at while it still accepts, ms. */
  static final long KNOCK_SPAN_MS = 1_500;
  /** The pauses between two knocks, ms; they add up to about {@link #KNOCK_SPAN_MS}. */
  private static final long[] KNOCK_PAUSES_MS = {0, 100, 200, 400, 800};

  /** What a knock at an address found. */
  enum Knock {
    /** Something accepted the connection. */
    ANSWERED,
    /** The host refused it: nothing listens there. */
    REFUSED,
    /** No answer in time, or another error: nothing can be concluded. */
    UNKNOWN
  }

  private volatile Address watched;
  private volatile IpAddress watchedAt;
  private volatile CrashConfirm confirm;

  /** A protocol for the stack, under FD_SOCK2's id. */
  public FdSockOffSelector() {
    setId(ClassConfigurator.getProtocolId(FD_SOCK2.class));
  }

  @Override
  public void start() throws Exception {
    super.start();
    confirm = getProtocolStack().findProtocol(CrashConfirm.class);
  }

  @Override
  protected boolean connectTo(IpAddress dest, Address logical) {
    boolean connected = super.connectTo(dest, logical);
    if (connected) {
      watched = logical;
      watchedAt = dest;
    }
    return connected;
  }

  @Override
  public void connectionClosed(Connection conn) {
    if (timer == null) {
      super.connectionClosed(conn);
      return;
    }
    Address member = watched;
    IpAddress at = watchedAt;
    boolean watchedClosed = conn != null && at != null && at.equals(conn.peerAddress()) && !shutting_down
      && member != null && members.contains(member);
    timer.execute(() -> {
      super.connectionClosed(conn);
      if (watchedClosed && confirm != null && refusedWithin(at)) {
        confirm.confirmed(member);
      }
    }, true);
  }

  /** Knocks at {@code at} until it refuses or {@link #KNOCK_SPAN_MS} have passed; blocks. */
  private boolean refusedWithin(IpAddress at) {
    InetSocketAddress address = new InetSocketAddress(at.getIpAddress(), at.getPort());
    for (long pause : KNOCK_PAUSES_MS) {
      if (pause > 0) {
        try {
          TimeUnit.MILLISECONDS.sleep(pause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      Knock k = knock(address, connect_timeout);
      if (k == Knock.REFUSED) {
        return true;
      }
      if (k == Knock.UNKNOWN || shutting_down) {
        return false;
      }
    }
    return false;
  }

  /**
   * Opens a TCP connection to {@code address} and closes it at once.
   *
   * @param address where
   * @param timeoutMs how long the connect may take
   * @return what it found
   */
  static Knock knock(InetSocketAddress address, int timeoutMs) {
    try (Socket s = new Socket()) {
      s.connect(address, timeoutMs);
      return Knock.ANSWERED;
    } catch (ConnectException e) {
      // Only a refusal is the host's word; an unreachable network is no proof of anything.
      String why = e.getMessage();
      return why != null && why.toLowerCase(Locale.ROOT).contains("refused") ? Knock.REFUSED : Knock.UNKNOWN;
    } catch (IOException other) {
      return Knock.UNKNOWN;
    }
  }
}
