package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A JGroups protocol, right above the transport, that remembers when this node last heard from
 * each peer (any message, failure-detection heartbeats included) and which view JGroups installed
 * last, at the moment GMS installs it.
 *
 * <p>Why: a view says who the coordinator believes is there, not who can talk to this node now.
 * During a cut each side keeps the other side's members in its view until failure detection,
 * member by member, has evicted them, and a view can even list a member that already belongs to
 * the other side's newer view (measured on a real network: a minority of two served a quorate
 * view of three, one of them on the majority side, for five seconds). So a node counts towards
 * quorum only the members of its view it has heard from within the failure detector's own
 * timeout: a member it would suspect now does not count, whatever the view says. And the view
 * comes from here, not from the cache manager's notification, which can lag seconds behind
 * JGroups while Infinispan is busy with a topology change.
 *
 * <p>Thread-safe: written by JGroups' threads, read by anyone.
 */
public final class LivenessWatch extends Protocol {

  private final Map<Address, Long> lastHeard = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  private volatile View view;

  @Override
  public Object up(Message msg) {
    heard(msg.getSrc());
    return up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    heard(batch.sender());
    up_prot.up(batch);
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      installed(evt.getArg());
    }
    return down_prot.down(evt);
  }

  @Override
  public Object up(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      installed(evt.getArg());
    }
    return up_prot.up(evt);
  }

  private void heard(Address from) {
    if (from != null) {
      lastHeard.put(from, System.nanoTime());
    }
  }

  private void installed(View v) {
    View old = view;
    if (v == null || old != null && old.getViewId().equals(v.getViewId())) {
      return;
    }
    long now = System.nanoTime();
    // A member new to this node's view counts as heard when the view arrives: GMS just heard of it.
    for (Address a : v.getMembers()) {
      if (old == null || !old.containsMember(a)) {
        lastHeard.put(a, now);
      }
    }
    lastHeard.keySet().retainAll(Set.copyOf(v.getMembers()));
    view = v;
    for (Runnable l : viewListeners) {
      l.run();
    }
  }

  /**
   * Tells {@code listener} of every view JGroups installs, on JGroups' thread: it must only hand
   * the news on.
   *
   * @param listener the listener
   * @return removes the listener
   */
  public Runnable onView(Runnable listener) {
    viewListeners.add(listener);
    return () -> viewListeners.remove(listener);
  }

  /** @return the id of the last installed view, {@code -1} before the first */
  public long viewId() {
    View v = view;
    return v == null ? -1 : v.getViewId().getId();
  }

  /** @return the names of the last installed view's members, or {@code null} before the first */
  public Set<String> view() {
    View v = view;
    if (v == null) {
      return null;
    }
    Set<String> out = new HashSet<>();
    v.getMembers().forEach(a -> out.add(a.toString()));
    return out;
  }

  /**
   * The members of the last installed view heard from within {@code windowMs}, this node always
   * among them.
   *
   * @param windowMs how recent the last message must be, ms
   * @return their names
   */
  public Set<String> heardWithin(long windowMs) {
    View v = view;
    if (v == null) {
      return Set.of();
    }
    return heard(v.getMembers(), local_addr, lastHeard, System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(windowMs));
  }

  /**
   * The rule: a member counts when it is this node or was heard from within the window.
   *
   * @param members the view's members
   * @param self this node
   * @param lastHeard when each was last heard from ({@link System#nanoTime()})
   * @param now now
   * @param windowNanos the window
   * @return the names of those that count
   */
  static Set<String> heard(List<Address> members, Address self, Map<Address, Long> lastHeard, long now,
                           long windowNanos) {
    Set<String> out = new HashSet<>();
    for (Address a : members) {
      Long at = lastHeard.get(a);
      if (a.equals(self) || at != null && now - at <= windowNanos) {
        out.add(a.toString());
      }
    }
    return out;
  }
}
