package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.protocols.PerDestinationBundler;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * JGroups' per-destination bundler (one sending thread per destination, see
 * {@link JGroupsStack#BUNDLER}) that stops the threads of destinations outside the view.
 *
 * <p>On each view change JGroups' bundler forgets the destinations outside the view (members that
 * left, and the seeds' and other sides' physical addresses that discovery and merging wrote to)
 * without stopping their threads, which then wait on their empty queues for good; and whatever
 * still writes to a departed member after the view changed (retransmissions, for one) makes a new
 * thread that lasts until the next view change forgets it in turn. Measured: 77 such threads and
 * their buffers (a 64 KB output buffer and an 8192-slot queue each) on a node whose peer joined
 * and left eight times, never given back, not even when the channel closes. Besides, a thread
 * it makes for a new member on a view change is dropped unstopped when a message to that member
 * made one first, and a message sent after the bundler stopped makes one that nothing stops: in an
 * in-JVM cluster such a thread kept a closed node's whole channel and cache manager reachable.
 *
 * <p>Here a destination outside the view is dropped on each view change and, as traffic to it
 * can outlive the view, every {@link #GRACE_MS} ms; its thread is stopped once a grace has passed,
 * so that what was queued for it before is still sent, as before. A later message to it makes a new
 * thread, as before.
 */
public final class RetiringBundler extends PerDestinationBundler {

  /** How often destinations outside the view are dropped, and how long their threads go on, ms. */
  static final long GRACE_MS = 10_000;

  private final Set<SendBuffer> retiring = ConcurrentHashMap.newKeySet();
  private volatile List<Address> members;
  /** Set by {@link #stop}, cleared by {@link #start} (a channel can connect again). */
  private volatile boolean stopped;
  private Future<?> sweep;

  /** Made by JGroups' transport from the class name in its {@code bundler_type}. */
  public RetiringBundler() {
  }

  @Override
  public void start() {
    stopped = false;
    super.start();
    sweep = transport.getTimer().scheduleWithFixedDelay(this::dropOutsideView, GRACE_MS, GRACE_MS,
      TimeUnit.MILLISECONDS);
  }

  /**
   * Drops the destinations outside the view. Unlike JGroups' bundler it does not make threads for
   * the new members ahead of their first message: that bundler makes one and then, when a message
   * to the member made one first, drops it without stopping it. The first message makes it here.
   */
  @Override
  public void viewChange(View view) {
    if (view.getMembers() != null) {
      members = List.copyOf(view.getMembers());
      dropOutsideView();
    }
  }

  private void dropOutsideView() {
    List<Address> view = members;
    if (view == null) {
      return;
    }
    dests.forEach((dest, buffer) -> {
      if (dest != NULL && !view.contains(dest) && dests.remove(dest, buffer)) {
        retire(buffer);
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
      }, GRACE_MS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException timerStopped) {
      retiring.remove(buffer);
      buffer.stop();
    }
    stoppedMeanwhile();
  }

  /**
   * Queues a message on its destination's thread; once stopped, drops it, as JGroups' other
   * bundlers do (their one thread is gone): a thread made for it would run for good.
   */
  @Override
  public void send(Message msg) throws Exception {
    if (stopped) {
      return;
    }
    super.send(msg);
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
