package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.Event;
import org.jgroups.Global;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.stack.IpAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Double-checks a suspicion before it reaches GMS, in place of JGroups' VERIFY_SUSPECT2: the
 * suspected member is asked whether it is alive and has {@link #timeout()} ms to answer, and is
 * confirmed dead at once when nothing listens at its address any more.
 *
 * <p>Why not VERIFY_SUSPECT2: it checks its suspects in rounds of its timeout and hands up every
 * suspect still unanswered when a round ends, so a suspicion raised late in a round gets a small
 * part of the timeout (JGroups 5.2 compares a wall-clock round end with monotonic entry times, so
 * every entry counts as due). On a real network with a 400 ms round trip that, with a 500 ms
 * timeout, excluded live members whose answer was on its way, and a wrong exclusion of the
 * coordinator made the next member install a view without the others: a split of five nodes into
 * two rings (measured in the real-network rig, under 200 ms ± 50 ms one-way delay and 5 % loss).
 * Here each suspect has its own deadline, a full timeout after it was suspected.
 *
 * <p>A crashed process, though, should not wait for that timeout: its host refuses connections
 * to the port its failure detector listened on (FD_SOCK2's server port, which each member
 * announces to the others on every view change: FD_SOCK2 picks it within a range, and on one host
 * the ranges of nodes on neighbouring ports overlap). So each suspicion also tries that port
 * (again a few times over about 1.5 s while it still accepts: a dying process's connections close
 * before its listening sockets); when it refuses, the member is handed up as dead at once.
 * Anything else (a connection accepted: the process or a successor is there; no answer: a
 * partition, a paused or overloaded host, a lost packet) is no evidence, and the member gets its
 * full timeout to answer. A refused connection is the host's own word that no process listens,
 * which a partition, a pause or a slow network never produce.
 *
 * <p>Thread-safe: JGroups' threads deliver events and messages; the transport's timer ends
 * deadlines; one daemon thread makes the connection attempts, which block.
 */
public final class SuspectCheck extends Protocol {

  /** This protocol's id in JGroups' range for applications' protocols. */
  static final short PROTOCOL_ID = 1932;
  /** The magic number of {@link CheckHeader} in JGroups' range for applications' headers. */
  static final short HEADER_MAGIC = 1932;

  static {
    if (ClassConfigurator.getProtocolId(SuspectCheck.class) <= 0) {
      ClassConfigurator.addProtocol(PROTOCOL_ID, SuspectCheck.class);
    }
    ClassConfigurator.addIfAbsent(HEADER_MAGIC, CheckHeader.class);
  }

  /** ms before each knock at a suspect's ports while a process still accepts: about 1.5 s in all. */
  static final long[] KNOCK_DELAYS = {0, 100, 200, 400, 800};

  private final long timeout;
  /** Each member under suspicion, with the deadline (System.nanoTime) of its answer. */
  private final Map<Address, Long> suspects = new ConcurrentHashMap<>();
  private final AtomicLong confirmedByRefusal = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong unanswered = new AtomicLong();
  private volatile View view;
  /** The port each member's failure detector (FD_SOCK2) listens on, as the member announced it. */
  private final Map<Address, Integer> listening = new ConcurrentHashMap<>();
  private volatile FD_SOCK2 failureDetector;
  private ExecutorService probes;

  /**
   * @param timeout ms a suspected member has to answer before it is handed up as dead
   */
  public SuspectCheck(long timeout) {
    this.timeout = timeout;
  }

  /** @return ms a suspected member has to answer */
  public long timeout() {
    return timeout;
  }

  /** @return how many suspects were handed up at once because every port of theirs refused */
  public long confirmedByRefusal() {
    return confirmedByRefusal.get();
  }

  /** @return how many suspects answered in time and were cleared */
  public long answered() {
    return answered.get();
  }

  /** @return how many suspects were handed up as dead at their deadline, unanswered */
  public long unanswered() {
    return unanswered.get();
  }

  @Override
  public void init() throws Exception {
    super.init();
    probes = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "cloister-suspect-check");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void start() throws Exception {
    super.start();
    failureDetector = getProtocolStack() == null ? null : getProtocolStack().findProtocol(FD_SOCK2.class);
  }

  @Override
  public void stop() {
    suspects.clear();
    listening.clear();
    super.stop();
  }

  @Override
  public void destroy() {
    if (probes != null) {
      probes.shutdownNow();
    }
    super.destroy();
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      View v = evt.getArg();
      view = v;
      suspects.keySet().removeIf(a -> !v.containsMember(a));
      listening.keySet().removeIf(a -> !v.containsMember(a));
      Object installed = down_prot.down(evt);
      announce();
      return installed;
    }
    return down_prot.down(evt);
  }

  @Override
  public Object up(Event evt) {
    if (evt.getType() == Event.SUSPECT) {
      Collection<Address> suspected = evt.getArg();
      if (suspected != null) {
        for (Address a : suspected) {
          check(a);
        }
      }
      // Handed up later, one by one, once confirmed.
      return null;
    }
    return up_prot.up(evt);
  }

  @Override
  public Object up(Message msg) {
    CheckHeader h = msg.getHeader(id);
    if (h == null) {
      return up_prot.up(msg);
    }
    handle(h, msg.getSrc());
    return null;
  }

  @Override
  public void up(MessageBatch batch) {
    for (Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
      Message m = it.next();
      CheckHeader h = m.getHeader(id);
      if (h != null) {
        it.remove();
        handle(h, m.getSrc());
      }
    }
    if (!batch.isEmpty()) {
      up_prot.up(batch);
    }
  }

  /**
   * Tells every member of the new view which port this node's failure detector listens on (the
   * port it chose within its range is known to it alone), so that they can knock at exactly that
   * one. Unreliable, like the check itself: a member that missed it knocks nowhere and waits.
   */
  private void announce() {
    FD_SOCK2 fd = failureDetector;
    int port = fd == null ? 0 : fd.getActualBindPort();
    if (port > 0) {
      down_prot.down(new EmptyMessage(null).setFlag(Message.Flag.OOB)
        .putHeader(id, new CheckHeader(CheckHeader.LISTENING, port)));
    }
  }

  private void handle(CheckHeader h, Address from) {
    if (from == null) {
      return;
    }
    if (h.type == CheckHeader.LISTENING) {
      // Kept even before this node installs a view with the sender (a joiner announces as soon
      // as it installs its first view); each view change drops the senders it does not list.
      if (h.port > 0) {
        listening.put(from, h.port);
      }
    } else if (h.type == CheckHeader.ARE_YOU_DEAD) {
      Message answer = new EmptyMessage(from).setFlag(Message.Flag.OOB)
        .putHeader(id, new CheckHeader(CheckHeader.I_AM_NOT_DEAD));
      down_prot.down(answer);
    } else if (h.type == CheckHeader.I_AM_NOT_DEAD && suspects.remove(from) != null) {
      answered.incrementAndGet();
      log.debug("%s: %s answered: no longer suspected", local_addr, from);
      down_prot.down(new Event(Event.UNSUSPECT, from));
      up_prot.up(new Event(Event.UNSUSPECT, from));
    }
  }

  /** Starts checking a member, unless it is this node, already under check or not a member. */
  private void check(Address member) {
    View v = view;
    if (member == null || member.equals(local_addr) || v != null && !v.containsMember(member)) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
    if (suspects.putIfAbsent(member, deadline) != null) {
      return;
    }
    log.debug("%s: %s suspected: asking it, %d ms to answer", local_addr, member, timeout);
    down_prot.down(new EmptyMessage(member).setFlag(Message.Flag.OOB)
      .putHeader(id, new CheckHeader(CheckHeader.ARE_YOU_DEAD)));
    getTransport().getTimer().schedule(() -> expire(member, deadline), timeout, TimeUnit.MILLISECONDS);
    IpAddress physical = (IpAddress) down_prot.down(new Event(Event.GET_PHYSICAL_ADDRESS, member));
    Integer port = listening.get(member);
    if (physical != null && physical.getIpAddress() != null && port != null) {
      probe(member, deadline, List.of(new InetSocketAddress(physical.getIpAddress(), port)), 0);
    }
  }

  /** Hands the member up as dead if it is still suspected under this same check. */
  private void expire(Address member, long deadline) {
    if (suspects.remove(member, deadline)) {
      unanswered.incrementAndGet();
      log.debug("%s: %s did not answer within %d ms", local_addr, member, timeout);
      up_prot.up(new Event(Event.SUSPECT, List.of(member)));
    }
  }

  /**
   * Knocks at the member's port (on the probing thread) and acts on the answer: refused, dead;
   * accepted, knock again a little later (a dying process closes its connections before its
   * listening sockets, so the first knock can come too early), up to {@link #KNOCK_DELAYS}; no
   * answer, nothing more to learn here.
   */
  private void probe(Address member, long deadline, List<InetSocketAddress> ports, int attempt) {
    Runnable knock = () -> {
      if (!Long.valueOf(deadline).equals(suspects.get(member))) {
        return;
      }
      Knock answer = knock(ports, deadline);
      if (answer == Knock.REFUSED && suspects.remove(member, deadline)) {
        confirmedByRefusal.incrementAndGet();
        log.debug("%s: %s suspected and nothing listens at %s: dead", local_addr, member, ports);
        up_prot.up(new Event(Event.SUSPECT, List.of(member)));
      } else if (answer == Knock.ACCEPTED && attempt + 1 < KNOCK_DELAYS.length) {
        getTransport().getTimer().schedule(() -> probe(member, deadline, ports, attempt + 1),
          KNOCK_DELAYS[attempt + 1], TimeUnit.MILLISECONDS);
      }
    };
    try {
      probes.execute(knock);
    } catch (RuntimeException stopped) {
      // shutting down: the deadline decides
    }
  }

  /** What knocking at a member's ports found. */
  enum Knock {
    /** Every port refused: no process listens there. */
    REFUSED,
    /** A port accepted the connection: a process listens. */
    ACCEPTED,
    /** No answer in time, or another error (no route, network unreachable): no evidence. */
    NO_ANSWER
  }

  /**
   * Tries a TCP connection to each address in turn, before the deadline.
   *
   * @param targets where to connect
   * @param deadline System.nanoTime by which to give up
   * @return {@link Knock#REFUSED} only when each of them (at least one) refused
   */
  static Knock knock(List<InetSocketAddress> targets, long deadline) {
    for (InetSocketAddress target : targets) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return Knock.NO_ANSWER;
      }
      try (Socket s = new Socket()) {
        s.connect(target, (int) Math.min(left, Integer.MAX_VALUE));
        return Knock.ACCEPTED;
      } catch (ConnectException e) {
        String why = e.getMessage();
        if (why == null || !why.startsWith("Connection refused")) {
          return Knock.NO_ANSWER;
        }
      } catch (IOException | RuntimeException e) {
        return Knock.NO_ANSWER;
      }
    }
    return targets.isEmpty() ? Knock.NO_ANSWER : Knock.REFUSED;
  }

  /**
   * ARE_YOU_DEAD to a suspect, I_AM_NOT_DEAD back, and LISTENING with the port of the sender's
   * failure detector; the sender is the message's source.
   */
  public static final class CheckHeader extends Header {
    static final byte ARE_YOU_DEAD = 1;
    static final byte I_AM_NOT_DEAD = 2;
    static final byte LISTENING = 3;

    private byte type;
    private int port;

    /** For JGroups' deserialization. */
    public CheckHeader() {
    }

    CheckHeader(byte type) {
      this.type = type;
    }

    CheckHeader(byte type, int port) {
      this.type = type;
      this.port = port;
    }

    @Override
    public short getMagicId() {
      return HEADER_MAGIC;
    }

    @Override
    public Supplier<? extends Header> create() {
      return CheckHeader::new;
    }

    @Override
    public int serializedSize() {
      return Global.BYTE_SIZE + (type == LISTENING ? Global.SHORT_SIZE : 0);
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
      out.writeByte(type);
      if (type == LISTENING) {
        out.writeShort(port);
      }
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
      type = in.readByte();
      if (type == LISTENING) {
        port = in.readUnsignedShort();
      }
    }

    @Override
    public String toString() {
      return type == ARE_YOU_DEAD ? "[ARE_YOU_DEAD]" : type == I_AM_NOT_DEAD ? "[I_AM_NOT_DEAD]"
        : "[LISTENING " + port + "]";
    }
  }
}
