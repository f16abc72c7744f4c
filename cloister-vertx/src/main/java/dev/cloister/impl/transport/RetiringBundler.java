package dev.cloister.impl.transport;

import org.jgroups.Address;
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
 * and left eight times, never given back, not even when the channel closes.
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
  private Future<?> sweep;

  /** Made by JGroups' transport from the class name in its {@code bundler_type}. */
  public RetiringBundler() {
  }

  @Override
  public void start() {
    super.start();
    sweep = transport.getTimer().scheduleWithFixedDelay(this::dropOutsideView, GRACE_MS, GRACE_MS,
      TimeUnit.MILLISECONDS);
  }

  @Override
  public void viewChange(View view) {
    if (view.getMembers() != null) {
      members = List.copyOf(view.getMembers());
      dropOutsideView();
    }
    super.viewChange(view); // adds the new members' destinations
  }

  private void dropOutsideView() {
    List<Address> view = members;
    if (view == null) {
      return;
    }
    dests.forEach((dest, buffer) -> {
      if (dest != NULL && !view.contains(dest) && dests.remove(dest, buffer)) {
        retiring.add(buffer);
        transport.getTimer().schedule(() -> {
          if (retiring.remove(buffer)) {
            buffer.stop();
          }
        }, GRACE_MS, TimeUnit.MILLISECONDS);
      }
    });
  }

  @Override
  public void stop() {
    if (sweep != null) {
      sweep.cancel(false);
    }
    super.stop();
    retiring.removeIf(buffer -> {
      buffer.stop();
      return true;
    });
  }
}
