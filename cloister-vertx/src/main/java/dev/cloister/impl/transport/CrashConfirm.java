package dev.cloister.impl.transport;

import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;

/**
 * A JGroups protocol, right below NAKACK2 (above VERIFY_SUSPECT2, and above the encryption when the
 * cluster has a secret), that excludes a member whose crash the failure detector has confirmed,
 * without VERIFY_SUSPECT2's wait.
 *
 * <p>Why: VERIFY_SUSPECT2 asks a suspect whether it is alive and waits {@code verifySuspectTimeout}
 * (500 ms) for the answer, so that a slow or briefly silent member is not excluded; a crashed
 * process cannot answer, and its exclusion waited those 500 ms every time. A crash is known for
 * certain when the watching neighbour's connection to the member's failure-detection socket
 * closed and a new connection to that same address is refused ({@link FdSockOffSelector} checks):
 * the host's own word that nothing listens there. A partition, a pause or a slow network close
 * no connection and refuse none, so they still go through the check.
 *
 * <p>The neighbour sends the confirmation to all members; each, when it is the member that would
 * coordinate once the crashed one is gone (as FD_SOCK2 decides), hands the suspicion straight to
 * GMS. Only a confirmation from a member of the current view about another member of it counts;
 * with a cluster secret it travels encrypted like the cluster's data, so a host without the secret
 * cannot exclude anyone with it. A lost confirmation costs nothing but time: FD_SOCK2's own
 * suspicion still goes through VERIFY_SUSPECT2.
 */
public final class CrashConfirm extends Protocol {

  /** This protocol's id in JGroups' range for applications' protocols. */
  static final short PROTOCOL_ID = 1932;
  /** The magic number of {@link CrashHeader}. */
  static final short HEADER_MAGIC = 1932;

  static {
    if (ClassConfigurator.getProtocolId(CrashConfirm.class) <= 0) {
      ClassConfigurator.addProtocol(PROTOCOL_ID, CrashConfirm.class);
    }
    ClassConfigurator.addIfAbsent(HEADER_MAGIC, CrashHeader.class);
  }

  private static final Logger LOG = LoggerFactory.getLogger(ClusterTransport.LOG_CATEGORY);

  private volatile View view;

  /**
   * Tells every member that {@code crashed} has crashed, as its watching neighbour found.
   *
   * @param crashed the member
   */
  void confirmed(Address crashed) {
    View v = view;
    if (v == null || !v.containsMember(crashed) || crashed.equals(local_addr)) {
      return;
    }
    LOG.info(local_addr + ": " + crashed + " crashed (its failure-detection socket closed and refuses connections)");
    down_prot.down(new EmptyMessage(null).setFlag(Message.Flag.OOB).putHeader(PROTOCOL_ID, new CrashHeader(crashed)));
  }

  @Override
  public Object up(Message msg) {
    CrashHeader h = msg.getHeader(PROTOCOL_ID);
    if (h == null) {
      return up_prot.up(msg);
    }
    handle(msg.getSrc(), h.crashed);
    return null;
  }

  @Override
  public void up(MessageBatch batch) {
    for (Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
      CrashHeader h = it.next().getHeader(PROTOCOL_ID);
      if (h != null) {
        it.remove();
        handle(batch.sender(), h.crashed);
      }
    }
    if (!batch.isEmpty()) {
      up_prot.up(batch);
    }
  }

  @Override
  public Object up(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      view = evt.getArg();
    }
    return up_prot.up(evt);
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      view = evt.getArg();
    }
    return down_prot.down(evt);
  }

  private void handle(Address from, Address crashed) {
    View v = view;
    if (v == null || from == null || crashed == null || !v.containsMember(from) || !v.containsMember(crashed)
      || crashed.equals(local_addr)) {
      return;
    }
    if (coordinatorWithout(v, crashed, local_addr)) {
      LOG.info(local_addr + ": excluding " + crashed + ", whose crash " + from + " confirmed");
      // A list of its own: the protocols above may change it, as they may FD_SOCK2's.
      up_prot.up(new Event(Event.SUSPECT, new ArrayList<>(List.of(crashed))));
    }
  }

  /**
   * Whether {@code self} coordinates the view once {@code crashed} is gone: the first of the
   * others, as JGroups orders members.
   *
   * @param v the view
   * @param crashed the crashed member
   * @param self this member
   * @return whether it is this member's to act
   */
  static boolean coordinatorWithout(View v, Address crashed, Address self) {
    List<Address> rest = new ArrayList<>(v.getMembers());
    rest.remove(crashed);
    return !rest.isEmpty() && rest.get(0).equals(self);
  }

  /** The header of a confirmation: the member that crashed. */
  public static final class CrashHeader extends Header {
    private Address crashed;

    /** For JGroups' deserialization. */
    public CrashHeader() {
    }

    CrashHeader(Address crashed) {
      this.crashed = crashed;
    }

    @Override
    public short getMagicId() {
      return HEADER_MAGIC;
    }

    @Override
    public Supplier<? extends Header> create() {
      return CrashHeader::new;
    }

    @Override
    public int serializedSize() {
      return Util.size(crashed);
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
      Util.writeAddress(crashed, out);
    }

    @Override
    public void readFrom(DataInput in) throws IOException, ClassNotFoundException {
      crashed = Util.readAddress(in);
    }

    @Override
    public String toString() {
      return "crashed " + crashed;
    }
  }
}
