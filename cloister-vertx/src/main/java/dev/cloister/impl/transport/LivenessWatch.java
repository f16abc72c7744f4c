package dev.cloister.impl.transport;

import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A JGroups protocol, right above the transport, that remembers when this node last heard from
 * each peer, and which views it showed, and which view JGroups installed last, at the moment GMS
 * installs it.
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
 * quorate rings for up to seven seconds. So every failure-detection heartbeat this node sends, and
 * every message to all (FD_ALL3 skips a heartbeat when one went out), carries the id of the view
 * it has installed and of the one before ({@link ViewsHeader}), and a member counts only while
 * the newest views it showed are in step with this node's: a view this node installed itself
 * (the same view, or one it has left behind: members install views at their own pace, and under
 * 400 ms round trips a member's last message showed a view two behind; the views a merge view
 * joined count as left behind), or a view one ahead whose predecessor is this node's view and
 * which kept this node (the header also names the members the sender's view left out). Two
 * views that both follow one common view are the two sides of a split: their members do not count
 * for each other.
 *
 * <p>Only a message that shows its sender's views counts as hearing from it. A member whose view
 * left this node out sends it no heartbeat and no message to all any more, yet it still sends
 * unicasts (MERGE3's, acknowledgements, retransmissions), which carry no views; counted by those,
 * it went on counting on the last views it had shown, the ones from before it left. Seen in a run of
 * the rig: after a heal n3 merged into {n1, n2, n3} while n4 and n5 still held {n3, n4, n5}, heard
 * n3 and served a second quorate ring for 4.7 s, and keys of the sharded workers ran on two nodes.
 * Now such a member stops counting one window after its last heartbeat here. A member new to this
 * node's view counts from the moment the view arrives, for one window, until it shows its views.
 *
 * <p>Thread-safe: written by JGroups' threads, read by anyone.
 */
public final class LivenessWatch extends Protocol {

  /** This protocol's id in JGroups' range for applications' protocols. */
  static final short PROTOCOL_ID = 1931;
  /** The magic number of {@link ViewsHeader} in JGroups' range for applications' headers. */
  static final short HEADER_MAGIC = 1931;

  static {
    if (ClassConfigurator.getProtocolId(LivenessWatch.class) <= 0) {
      ClassConfigurator.addProtocol(PROTOCOL_ID, LivenessWatch.class);
    }
    ClassConfigurator.addIfAbsent(HEADER_MAGIC, ViewsHeader.class);
  }

  /**
   * The views a node showed (or this node's own, for the header it sends): the one installed last,
   * the one before, and the members of the one before that the last one left out.
   *
   * @param current the installed view's id
   * @param previous the id of the view installed before it, or {@code null}
   * @param left the members of the previous view not in the installed one
   */
  record Installed(ViewId current, ViewId previous, Set<Address> left) {
    Installed(ViewId current, ViewId previous) {
      this(current, previous, Set.of());
    }
  }

  /** How many of this node's own views it remembers to tell a member behind it from a split. */
  static final int LINEAGE = 16;

  private static final Logger LOG = LoggerFactory.getLogger(ClusterTransport.LOG_CATEGORY);

  private final short heartbeats = ClassConfigurator.getProtocolId(FD_ALL3.class);
  private final Map<Address, Long> lastHeard = new ConcurrentHashMap<>();
  /** The newest views each member showed. */
  private final Map<Address, Installed> announced = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  private volatile View view;
  private volatile Installed installed;
  /** The ids of the views this node installed, newest first, at most {@link #LINEAGE}. */
  private volatile List<ViewId> lineage = List.of();
  private volatile Set<String> lastOutOfStep = Set.of();
  private final LongSupplier clock;

  /** A watch on {@link System#nanoTime()}, as JGroups and the stack create it. */
  public LivenessWatch() {
    this(System::nanoTime);
  }

  /**
   * A watch on a given clock.
   *
   * @param clock nanoseconds, as {@link System#nanoTime()} counts them
   */
  LivenessWatch(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public Object up(Message msg) {
    if (announcement(msg)) {
      heard(msg.getSrc());
    }
    return up_prot.up(msg);
  }

  @Override
  public void up(MessageBatch batch) {
    boolean announced = false;
    for (Message m : batch) {
      announced |= announcement(m);
    }
    if (announced) {
      heard(batch.sender());
    }
    up_prot.up(batch);
  }

  @Override
  public Object down(Message msg) {
    Installed mine = installed;
    // Heartbeats, and every message to all: FD_ALL3 skips its heartbeat in an interval in which
    // this node sent a message to all. A message sent again (a retransmission) keeps its header.
    if (mine != null && (msg.getDest() == null || heartbeats > 0 && msg.getHeader(heartbeats) != null)
      && msg.getHeader(PROTOCOL_ID) == null) {
      msg.putHeader(PROTOCOL_ID, new ViewsHeader(mine));
    }
    return down_prot.down(msg);
  }

  /**
   * Notes the views a member shows, never going back to an older one (a retransmission's).
   *
   * @param msg a message received
   * @return whether it showed its sender's views: only such a message counts as hearing from it
   */
  private boolean announcement(Message msg) {
    ViewsHeader h = msg.getHeader(PROTOCOL_ID);
    if (h != null && h.views != null && msg.getSrc() != null) {
      announced.merge(msg.getSrc(), h.views,
        (was, now) -> now.current().getId() >= was.current().getId() ? now : was);
      return true;
    }
    return false;
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
      lastHeard.put(from, clock.getAsLong());
    }
  }

  private void installed(View v) {
    View old = view;
    if (v == null || old != null && old.getViewId().equals(v.getViewId())) {
      return;
    }
    long now = clock.getAsLong();
    // A member new to this node's view counts as heard when the view arrives: GMS just heard of it.
    for (Address a : v.getMembers()) {
      if (old == null || !old.containsMember(a)) {
        lastHeard.put(a, now);
      }
    }
    Set<Address> members = Set.copyOf(v.getMembers());
    lastHeard.keySet().retainAll(members);
    announced.keySet().retainAll(members);
    Set<Address> left = new HashSet<>();
    if (old != null) {
      left.addAll(old.getMembers());
      left.removeAll(members);
    }
    installed = new Installed(v.getViewId(), old == null ? null : old.getViewId(), Set.copyOf(left));
    lineage = lineageAfter(v, lineage);
    view = v;
    for (Runnable l : viewListeners) {
      l.run();
    }
  }

  /**
   * This node's views once it installed {@code v}: {@code v} first, then the views a merge view
   * joined (behind it, whichever side this node came from: a member still showing the other
   * side's view has not installed the merge view yet), then the views before, at most
   * {@link #LINEAGE}.
   *
   * @param v the view just installed
   * @param before the ids of the views installed before, newest first
   * @return the ids, newest first
   */
  static List<ViewId> lineageAfter(View v, List<ViewId> before) {
    List<ViewId> mine = new ArrayList<>(LINEAGE);
    mine.add(v.getViewId());
    if (v instanceof MergeView merge) {
      for (View side : merge.getSubgroups()) {
        if (mine.size() < LINEAGE && !mine.contains(side.getViewId())) {
          mine.add(side.getViewId());
        }
      }
    }
    for (ViewId id : before) {
      if (mine.size() == LINEAGE) {
        break;
      }
      if (!mine.contains(id)) {
        mine.add(id);
      }
    }
    return List.copyOf(mine);
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
    List<ViewId> mine = lineage;
    Set<String> out = counted(v.getMembers(), local_addr, lastHeard, announced, mine, clock.getAsLong(),
      TimeUnit.MILLISECONDS.toNanos(windowMs));
    reportOutOfStep(v, mine);
    return out;
  }

  /** Logs the members whose views are out of step with this node's, each time that set changes. */
  private void reportOutOfStep(View v, List<ViewId> mine) {
    Map<String, Installed> out = new TreeMap<>();
    for (Address a : v.getMembers()) {
      Installed theirs = announced.get(a);
      if (!a.equals(local_addr) && !inStep(theirs, mine, local_addr)) {
        out.put(a.toString(), theirs);
      }
    }
    if (!out.keySet().equals(lastOutOfStep)) {
      lastOutOfStep = Set.copyOf(out.keySet());
      if (!out.isEmpty()) {
        LOG.info(local_addr + " does not count " + out.keySet() + " towards quorum: their views " + out.values()
          + " are out of step with this node's " + mine.subList(0, Math.min(3, mine.size())));
      }
    }
  }

  /**
   * The rule: a member counts when it is this node, or was heard from within the window and is
   * {@linkplain #inStep in step} with this node's views.
   *
   * @param members the view's members
   * @param self this node
   * @param lastHeard when each was last heard from ({@link System#nanoTime()})
   * @param announced the newest views each showed
   * @param mine the ids of the views this node installed, newest first (empty to judge by hearing
   *     alone)
   * @param now now
   * @param windowNanos the window
   * @return the names of those that count
   */
  static Set<String> counted(List<Address> members, Address self, Map<Address, Long> lastHeard,
                             Map<Address, Installed> announced, List<ViewId> mine, long now, long windowNanos) {
    Set<String> out = new HashSet<>();
    for (Address a : members) {
      Long at = lastHeard.get(a);
      if (a.equals(self) || at != null && now - at <= windowNanos && inStep(announced.get(a), mine, self)) {
        out.add(a.toString());
      }
    }
    return out;
  }

  /**
   * Whether a member's views are in step with this node's: its view is one this node installed
   * (the same, or one this node has left behind and the member has not yet), or it is one view
   * ahead, after this node's view, and that view did not leave this node out. Anything else, a
   * view that follows an older view of this node (two views after one common view: the sides of a
   * split) above all, does not count; nor does the view ahead that a cut made without this node
   * (measured on the rig: n2 still on the view of all five counted n4, whose next view was n1, n3
   * and n4, and served a second quorate ring for 5.2 s).
   *
   * @param theirs the views the member showed last, or {@code null} when it showed none
   * @param mine the ids of the views this node installed, newest first; empty before its first
   * @param self this node
   * @return whether the member may count
   */
  static boolean inStep(Installed theirs, List<ViewId> mine, Address self) {
    if (theirs == null || mine.isEmpty()) {
      return true;
    }
    return mine.contains(theirs.current()) || mine.get(0).equals(theirs.previous()) && !theirs.left().contains(self);
  }

  /**
   * The header a heartbeat carries: its sender's {@link Installed} views (the one installed last,
   * the one before, absent for the first, and the members of that one the last left out).
   */
  public static final class ViewsHeader extends Header {
    private Installed views;

    /** For JGroups' deserialization. */
    public ViewsHeader() {
    }

    ViewsHeader(Installed views) {
      this.views = views;
    }

    @Override
    public short getMagicId() {
      return HEADER_MAGIC;
    }

    @Override
    public Supplier<? extends Header> create() {
      return ViewsHeader::new;
    }

    @Override
    public int serializedSize() {
      return size(views.current()) + size(views.previous()) + (int) Util.size(views.left());
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
      write(views.current(), out);
      write(views.previous(), out);
      Util.writeAddresses(views.left(), out);
    }

    @Override
    public void readFrom(DataInput in) throws IOException, ClassNotFoundException {
      ViewId current = read(in);
      ViewId previous = read(in);
      Collection<Address> left = Util.readAddresses(in, ArrayList::new);
      views = new Installed(current, previous, left == null ? Set.of() : Set.copyOf(left));
    }

    private static int size(ViewId id) {
      return 1 + (id == null ? 0 : id.serializedSize());
    }

    private static void write(ViewId id, DataOutput out) throws IOException {
      out.writeBoolean(id != null);
      if (id != null) {
        id.writeTo(out);
      }
    }

    private static ViewId read(DataInput in) throws IOException, ClassNotFoundException {
      if (!in.readBoolean()) {
        return null;
      }
      ViewId id = new ViewId();
      id.readFrom(in);
      return id;
    }

    /** @return the sender's views */
    Installed views() {
      return views;
    }

    @Override
    public String toString() {
      return "views " + views.current() + " after " + views.previous()
        + (views.left().isEmpty() ? "" : " without " + views.left());
    }
  }
}
