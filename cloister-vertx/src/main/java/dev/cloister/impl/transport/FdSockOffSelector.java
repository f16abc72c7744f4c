package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.stack.IpAddress;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JGroups' FD_SOCK2 with three changes: the neighbour whose connection closed is suspected at
 * once; the search for the next neighbour to watch runs on a thread of its own instead of the
 * socket server's selector thread; and a member the search could not reach in time is not
 * suspected.
 *
 * <p>Why the first two: FD_SOCK2 learns of a closed connection on its server's only selector
 * thread, and hands the search for a new neighbour to a queue that runs it on the calling thread.
 * That search sends a CONNECT to the next member and waits up to {@code connect_timeout} for the
 * answer, which only the same selector thread can read: every attempt waited its full timeout and
 * failed, and FD_SOCK2 suspected the closed neighbour only once the search was over, together with
 * the live members it had failed to reach. So a crash was suspected after those timeouts, or by
 * FD_ALL3's heartbeats first (measured: {@code kill -9} → survivors' view without the crashed node
 * in 1.6 s on loopback and 2.8 s on the real-network rig).
 *
 * <p>Suspecting at once is safe because a suspicion excludes nobody by itself: the suspicion check
 * on the coordinator ({@link SuspectCheck}) asks the suspect directly and drops the suspicion when
 * it answers (a connection can also close when the neighbour closed it on a view change). It is
 * told that this suspicion comes from a closed connection, so it waits its short wait.
 *
 * <p>Why the third: a connect takes two round trips (TCP's handshake, then FD_SOCK2's CONNECT and
 * its answer), and a lost segment adds a retransmission timeout, so under 400 ms round trips and
 * loss a connect to a live member times out now and then. FD_SOCK2 suspected such a member like a
 * crashed one. Here only a refused connect counts as a crash; a member that was merely slow to
 * answer is tried again after {@code connect_timeout}, and if it is really dead its silence is
 * FD_ALL3's to notice.
 *
 * <p>It speaks FD_SOCK2's protocol under FD_SOCK2's id, so it works beside plain FD_SOCK2 nodes.
 */
public final class FdSockOffSelector extends FD_SOCK2 {

  /** One thread at most, gone when idle; searches run one after another as in FD_SOCK2. */
  private final ExecutorService search = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
    new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "cloister-fd-search");
      t.setDaemon(true);
      return t;
    });

  /** Members a connect of the search to was refused, until the search reports them. */
  private final Set<Address> refused = ConcurrentHashMap.newKeySet();
  /** The stack's suspicion check, told which suspicions come from closed connections; may be absent. */
  private volatile SuspectCheck check;

  /** A protocol for the stack, under FD_SOCK2's id. */
  public FdSockOffSelector() {
    setId(ClassConfigurator.getProtocolId(FD_SOCK2.class));
  }

  @Override
  public void start() throws Exception {
    super.start();
    check = getProtocolStack().findProtocol(SuspectCheck.class);
  }

  /**
   * Suspects the neighbour whose connection closed, if any, at once; then looks for the next
   * neighbour on the search thread. FD_SOCK2 calls this for every search: on a closed connection
   * (from the selector thread), on a view change and on an unsuspicion.
   *
   * @param closed the neighbour whose connection closed, or {@code null}
   */
  @Override
  protected void connectToNextPingDest(Address closed) {
    if (closed != null) {
      log.debug("%s: connection to %s closed: suspecting it", local_addr, closed);
      // A list FD_SOCK2 may change: its own suspect handling removes this node from it.
      super.broadcastSuspectMessage(new ArrayList<>(List.of(closed)));
    }
    searchAgain();
  }

  /**
   * Tells when a connect to a member failed fast (refused: nothing listens there any more) or
   * slowly (timed out: the member, or only the network, may be slow).
   */
  @Override
  protected boolean connectTo(IpAddress dest, Address member) {
    long start = System.nanoTime();
    boolean connected = super.connectTo(dest, member);
    if (!connected && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(connect_timeout) / 2) {
      refused.add(member);
    }
    return connected;
  }

  /**
   * The search calls this for the members it could not connect to. A refused connect is as good a
   * sign of a crash as a closed connection, and is suspected as one. A connect that timed out is
   * not: a connect takes two round trips and one lost segment costs a retransmission timeout, so on
   * a slow or lossy network it times out to live members. Such a member stays unsuspected (its
   * silence, if it is dead, is FD_ALL3's to notice) and the search tries it again a little later.
   *
   * @param unreachable the members the search could not connect to
   */
  @Override
  protected void broadcastSuspectMessage(List<Address> unreachable) {
    List<Address> gone = new ArrayList<>();
    List<Address> slow = new ArrayList<>();
    for (Address member : unreachable) {
      (refused.remove(member) ? gone : slow).add(member);
    }
    if (!gone.isEmpty()) {
      log.debug("%s: connect to %s refused: suspecting it", local_addr, gone);
      super.broadcastSuspectMessage(gone);
    }
    if (!slow.isEmpty()) {
      log.debug("%s: connect to %s timed out: not suspected, trying again in %d ms", local_addr, slow, connect_timeout);
      try {
        timer.schedule(() -> retry(slow), connect_timeout, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopped) {
        // The channel was closed: there is nothing left to watch.
      }
    }
  }

  /** Puts back the members a search timed out on, if still members and unsuspected, and searches again. */
  private void retry(List<Address> slow) {
    boolean again = false;
    for (Address member : slow) {
      if (members.contains(member) && !suspected_mbrs.contains(member) && !pingable_mbrs.contains(member)) {
        pingable_mbrs.add(member);
        again = true;
      }
    }
    if (again) {
      searchAgain();
    }
  }

  /**
   * A suspicion broadcast by a member whose connection to its neighbour closed (or was refused):
   * strong evidence, which the suspicion check confirms after its short wait.
   *
   * @param suspects the suspected members
   */
  @Override
  protected void suspect(Collection<Address> suspects) {
    if (check != null) {
      check.socketsClosed(suspects);
    }
    super.suspect(suspects);
  }

  private void searchAgain() {
    try {
      search.execute(() -> super.connectToNextPingDest(null));
    } catch (RejectedExecutionException stopped) {
      // The channel was closed: there is nothing left to watch.
    }
  }

  @Override
  public void destroy() {
    search.shutdownNow();
    super.destroy();
  }
}
