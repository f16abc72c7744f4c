package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.protocols.NoBundler;
import org.jgroups.protocols.PerDestinationBundler;
import org.jgroups.protocols.TP;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * JGroups' per-destination bundler (one sending thread per destination, see
 * {@link JGroupsStack#BUNDLER}) that stops the threads of destinations outside the view once
 * nothing writes to them.
 *
 * <p>On each view change JGroups' bundler forgets the destinations outside the view (members that
 * left, and the seeds' and other sides' physical addresses that discovery and merging wrote to)
 * without stopping their threads, which then wait on their empty queues for good; whatever still
 * writes to such a destination (UNICAST3 resends to a departed member for 4 minutes, discovery
 * writes to the seeds every round) makes a new thread that the next view change forgets in turn.
 * Measured: 77 such threads and their buffers (a 64 KB output buffer and an 8192-slot queue each)
 * on a node whose peer joined and left eight times, never given back, not even when the channel
 * closes. Besides, a thread it makes for a new member on a view change is dropped unstopped when a
 * message to that member made one first, and a message sent after the bundler stopped makes one
 * that nothing stops: in an in-JVM cluster such a thread kept a closed node's whole channel and
 * cache manager reachable.
 *
 * <p>Here a destination outside the view keeps its thread while messages go to it; once none has
 * for {@link #IDLE_MS} ms (checked as often), it is dropped and its thread stopped after as long
 * again, so that a message queued meanwhile is still sent. A later message makes a new thread. A new
 * member's thread is made by its first message, and none once the bundler stopped.
 *
 * <p>Messages to a physical address are discovery's requests to the seeds (flagged
 * {@code DONT_BUNDLE}), which MERGE3 repeats every round (1 to 2.25 s): a seed's thread never went
 * idle, so every node kept one sending thread per seed for good, next to the members' own. They go
 * through JGroups' {@link NoBundler} instead, at once on the caller's thread, as the flag asks:
 * MERGE3's round, which JGroups runs on its pool as a task allowed to block on a TCP connect, or the
 * thread that joins.
 */
public final class RetiringBundler extends PerDestinationBundler {

  /** How long a destination outside the view must go without messages to be dropped, ms. */
  static final long IDLE_MS = 10_000;

  /** Destinations outside the view → when a message last went to each (or it left the view). */
  private final Map<Address, Long> outsiders = new ConcurrentHashMap<>();
  private final Set<SendBuffer> retiring = ConcurrentHashMap.newKeySet();
  /** JGroups' own sender of messages that are not to be bundled: each on the caller's thread. */
  private final NoBundler direct = new NoBundler();
  private volatile Set<Address> members;
  /** Set by {@link #stop}, cleared by {@link #start} (a channel can connect again). */
  private volatile boolean stopped;
  private Future<?> sweep;

  /** Made by JGroups' transport from the class name in its {@code bundler_type}. */
  public RetiringBundler() {
  }

  @Override
  public void init(TP transport) {
    super.init(transport);
    direct.init(transport);
  }

  @Override
  public void start() {
    stopped = false;
    super.start();
    sweep = transport.getTimer().scheduleWithFixedDelay(this::dropIdleOutsiders, IDLE_MS, IDLE_MS,
      TimeUnit.MILLISECONDS);
  }

  /**
   * Notes the view. Unlike JGroups' bundler it makes no threads for the new members ahead of their
   * first message: that bundler makes one and then, when a message to the member made one first,
   * drops it without stopping it.
   */
  @Override
  public void viewChange(View view) {
    if (view.getMembers() == null) {
      return;
    }
    Set<Address> now = Set.copyOf(view.getMembers());
    members = now;
    outsiders.keySet().removeIf(now::contains);
    long at = System.currentTimeMillis();
    dests.keySet().forEach(dest -> {
      if (dest != NULL && !now.contains(dest)) {
        outsiders.putIfAbsent(dest, at);
      }
    });
  }

  /**
   * Queues a message on its destination's thread, noting when a destination outside the view was
   * last written to; once stopped, drops it, as JGroups' other bundlers do (their one thread is
   * gone): a thread made for it would run for good.
   */
  @Override
  public void send(Message msg) throws Exception {
    if (stopped) {
      return;
    }
    Address dest = msg.dest();
    if (dest instanceof PhysicalAddress) {
      direct.send(msg);
      return;
    }
    Set<Address> view = members;
    if (dest != null && view != null && !view.contains(dest)) {
      outsiders.put(dest, System.currentTimeMillis());
    }
    super.send(msg);
    stoppedMeanwhile();
  }

  private void dropIdleOutsiders() {
    long idleSince = System.currentTimeMillis() - IDLE_MS;
    outsiders.forEach((dest, last) -> {
      if (last <= idleSince && outsiders.remove(dest, last)) {
        SendBuffer buffer = dests.get(dest);
        if (buffer != null && dests.remove(dest, buffer)) {
          retire(buffer);
        }
      }
    });
  }

  private void retire(SendBuffer buffer) {
    retiring.add(buffer);
    try {
      transport.getTimer().schedule(() -> {
        if (retiring.remove(buffer)) {
          buffer.stop();
        }
      }, IDLE_MS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException timerStopped) {
      retiring.remove(buffer);
      buffer.stop();
    }
    stoppedMeanwhile();
  }

  @Override
  public void stop() {
    stopped = true;
    if (sweep != null) {
      sweep.cancel(false);
    }
    stopThreads();
  }

  /** After a step that may have made or kept a thread: if the bundler stopped meanwhile, stops it. */
  private void stoppedMeanwhile() {
    if (stopped) {
      stopThreads();
    }
  }

  private void stopThreads() {
    super.stop();
    retiring.removeIf(buffer -> {
      buffer.stop();
      return true;
    });
  }
}
