package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.MERGE3;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

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
 * <p>Hearing a member is not enough either: right after a cut heals, before MERGE3 has merged the
 * views, the two sides' views can overlap (measured: n2 and n5 held {n2, n3, n5} while n3 held
 * {n1, n3, n4}), and n2 hears n3 again, so both views counted three live members and served two
 * quorate rings for up to seven seconds. So this node also reads the view each member announces in
 * MERGE3's periodic INFO messages: a member whose latest announcement names another view than this
 * node's, made by a node outside this node's view, does not count, unless that announcement is
 * stale (it arrived before this node installed its view, or just after) or names this node's
 * previous view shortly after the change (the member has not installed the new one yet). A view
 * made by a member of this node's view is of the same lineage, only installed at another pace.
 * Members that announce nothing (a stack without MERGE3) are judged by hearing alone.
 *
 * <p>Thread-safe: written by JGroups' threads, read by anyone.
 */
public final class LivenessWatch extends Protocol {

  /**
   * How long after this node installs a view an announcement of another view is taken as sent
   * before its sender could know of this one, ns.
   */
  static final long STALE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  /**
   * The view a member announced last and when it arrived ({@link System#nanoTime()}).
   *
   * @param view the announced view
   * @param at when the announcement arrived
   */
  record Announced(ViewId view, long at) {
  }

  /**
   * This node's view as the rule needs it.
   *
   * @param current the installed view's id
   * @param previous the view installed before it, or {@code null}
   * @param installedAt when the current one was installed ({@link System#nanoTime()})
   * @param members the installed view's members
   */
  record Installed(ViewId current, ViewId previous, long installedAt, Set<Address> members) {
  }

  private final Map<Address, Long> lastHeard = new ConcurrentHashMap<>();
  private final Map<Address, Announced> announced = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  private final short mergeId = ClassConfigurator.getProtocolId(MERGE3.class);
  private volatile View view;
  private volatile Installed installed;

  @Override
  public Object up(Message msg) {
    heard(msg.getSrc());
    announcement(msg);
    return up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    heard(batch.sender());
    for (Message m : batch) {
      announcement(m);
    }
    up_prot.up(batch);
  }

  /** Notes the view a member of this node's view announces in a MERGE3 INFO message. */
  private void announcement(Message msg) {
    if (mergeId <= 0) {
      return;
    }
    Header h = msg.getHeader(mergeId);
    View v = view;
    if (h == null || v == null || msg.getSrc() == null || !v.containsMember(msg.getSrc())) {
      return;
    }
    ViewId announcedView = infoView(h);
    if (announcedView != null) {
      announced.put(msg.getSrc(), new Announced(announcedView, System.nanoTime()));
    }
  }

  /**
   * The view id of a MERGE3 INFO header, read through its wire form (the fields are not public).
   *
   * @param h a MERGE3 header
   * @return the view it announces, or {@code null} for another kind of header or an unreadable one
   */
  static ViewId infoView(Header h) {
    try {
      ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(h.serializedSize());
      h.writeTo(out);
      ByteArrayDataInputStream in = new ByteArrayDataInputStream(out.buffer(), 0, out.position());
      // The type first: INFO is the first of MERGE3's header types.
      if (in.readByte() != 0) {
        return null;
      }
      return Util.readViewId(in);
    } catch (Exception unreadable) {
      return null;
    }
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
    Set<Address> members = Set.copyOf(v.getMembers());
    lastHeard.keySet().retainAll(members);
    announced.keySet().retainAll(members);
    installed = new Installed(v.getViewId(), old == null ? null : old.getViewId(), now, members);
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
    Installed in = installed;
    if (v == null || in == null) {
      return Set.of();
    }
    return counted(v.getMembers(), local_addr, lastHeard, announced, in, System.nanoTime(),
      TimeUnit.MILLISECONDS.toNanos(windowMs));
  }

  /**
   * The rule on announcements: whether a member's latest announced view lets it count.
   *
   * @param last its latest announcement, or {@code null} when it announced nothing in this view
   * @param mine this node's view
   * @param now now ({@link System#nanoTime()})
   * @param windowNanos the failure detector's timeout: how long a member may lag behind a view change
   * @return false when the member announces another view than this node's, freshly
   */
  static boolean agrees(Announced last, Installed mine, long now, long windowNanos) {
    if (last == null || last.view().equals(mine.current())) {
      return true;
    }
    // A view made by a member of this node's view is of the same lineage: one of the two nodes has
    // not installed the other's view yet (GMS installs a view on each member at its own pace; a
    // coordinator waiting for acknowledgements from cut-off members installs its own seconds late).
    if (mine.members().contains(last.view().getCreator())) {
      return true;
    }
    if (last.at() - mine.installedAt() <= STALE_NANOS) {
      return true;
    }
    return last.view().equals(mine.previous()) && now - mine.installedAt() <= windowNanos;
  }

  /**
   * The rule: a member counts when it is this node, or was heard from within the window and
   * {@linkplain #agrees agrees} with this node's view.
   *
   * @param members the view's members
   * @param self this node
   * @param lastHeard when each was last heard from ({@link System#nanoTime()})
   * @param announced the view each announced last
   * @param mine this node's view, {@code null} to judge by hearing alone
   * @param now now
   * @param windowNanos the window
   * @return the names of those that count
   */
  static Set<String> counted(List<Address> members, Address self, Map<Address, Long> lastHeard,
                             Map<Address, Announced> announced, Installed mine, long now, long windowNanos) {
    Set<String> out = new HashSet<>();
    for (Address a : members) {
      Long at = lastHeard.get(a);
      if (a.equals(self) || at != null && now - at <= windowNanos
        && (mine == null || agrees(announced.get(a), mine, now, windowNanos))) {
        out.add(a.toString());
      }
    }
    return out;
  }
}
