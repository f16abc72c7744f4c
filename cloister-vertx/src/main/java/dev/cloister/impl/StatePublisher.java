package dev.cloister.impl;

import dev.cloister.Cloister;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterRing;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.StateChange;
import dev.cloister.impl.calls.SiblingCalls;
import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.Membership;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Publishes the node's state: builds the immutable value every answer is read from, and tells
 * listeners, state streams and {@code <prefix>.state} of each transition.
 *
 * <p>One rule for what leaves the node: every receiver (a listener, a stream, the start future,
 * {@link Cloister#state()}) gets its own copy of the state; what ownership and sibling calls are
 * answered from is kept here and never handed out. Publications happen on the node's context;
 * the current value may be read from any thread.
 */
final class StatePublisher {

  private static final Logger log = LoggerFactory.getLogger(Cloister.class);

  /**
   * One publication: the state and what answers are read from, replaced together.
   *
   * @param state the state; never handed out, only copies of it
   * @param ownership what whois and mine answer from
   * @param routing what sibling calls route by
   * @param siblings the live members of this node's group, sorted
   */
  record Published(CloisterState state, Ownership ownership, SiblingCalls.Routing routing, List<String> siblings) {
    /** @return a copy of the state for one receiver */
    CloisterState copy() {
      return new CloisterState(state.toJson());
    }
  }

  /**
   * What a state is built from, all owned by the state machine.
   *
   * @param status the status
   * @param node this node's name, or {@code null}
   * @param version the membership version
   * @param rings the installed rings
   * @param checksum their checksum, or {@code null} before any were installed
   * @param membership the live membership, or {@code null} before the node has one
   * @param expected the sentries expected, {@code host:port}
   */
  record Inputs(CloisterStatus status, String node, long version, Rings rings, String checksum, Membership membership,
                List<String> expected) {
  }

  private final Vertx vertx;
  private final Context context;
  private final NodeConfig config;
  private final long startedAt;
  private final List<CloisterListener> listeners = new CopyOnWriteArrayList<>();
  private volatile Published current;

  StatePublisher(Vertx vertx, Context context, NodeConfig config, long startedAt) {
    this.vertx = vertx;
    this.context = context;
    this.config = config;
    this.startedAt = startedAt;
    this.current = build(new Inputs(CloisterStatus.DOWN, null, 0, Rings.EMPTY, null, null, List.of()));
  }

  /** @return the current publication */
  Published current() {
    return current;
  }

  /** @param listener a listener told of every transition from now on */
  void addListener(CloisterListener listener) {
    listeners.add(listener);
  }

  /**
   * A stream of transitions, ended at once when the node has stopped.
   *
   * @return the stream
   */
  ReadStream<StateChange> stream() {
    StateStream stream = new StateStream(context, listeners::remove);
    listeners.add(stream);
    if (current.state().getStatus() == CloisterStatus.STOPPED) {
      stream.end();
    }
    return stream;
  }

  /**
   * Replaces the publication.
   *
   * @param in what the state is built from
   * @return the new publication
   */
  Published publish(Inputs in) {
    Published p = build(in);
    current = p;
    return p;
  }

  /**
   * Tells everyone of a transition: the log, each listener (each with its own copy), and the local
   * address {@code <prefix>.state}.
   *
   * @param from the status left
   * @param p the publication made on entering the new status
   * @param label the node's label for logs
   */
  void announce(CloisterStatus from, Published p, String label) {
    CloisterState s = p.state();
    CloisterStatus to = s.getStatus();
    log.info(label + " " + from + " -> " + to + " members " + s.memberNames()
      + (to == CloisterStatus.REHASHING && !s.isQuorate()
      ? " (consensus " + config.consensus() + " not reached)" : ""));
    for (CloisterListener l : listeners) {
      try {
        l.onStateChange(from, to, p.copy());
      } catch (Throwable t) {
        log.error(label + " listener " + l.getClass().getName() + " failed on " + from + " -> " + to, t);
      }
    }
    try {
      vertx.eventBus().publish(config.addressPrefix() + ".state",
        new JsonObject().put("from", from.name()).put("to", to.name()).put("state", s.toJson()),
        new DeliveryOptions().setLocalOnly(true));
    } catch (RuntimeException e) {
      log.debug("Cannot publish the state change: " + e.getMessage());
    }
  }

  private Published build(Inputs in) {
    String checksum = in.checksum();
    CloisterState s = new CloisterState()
      .setStatus(in.status())
      .setApp(config.app())
      .setNode(in.node())
      .setGroup(config.group())
      .setConsensus(config.consensus())
      .setVersion(in.version())
      .setChecksum(checksum)
      .setStartedAt(startedAt)
      .setMissing(missing(in.membership(), in.expected()));
    List<CloisterRing> rs = new ArrayList<>();
    in.rings().groups().forEach((g, v) -> rs.add(new CloisterRing().setGroup(g).setMembers(v.ring().members())
      .setVersion(v.version()).setChecksum(v.checksum())));
    s.setRings(rs);
    Map<String, String> ids = new HashMap<>();
    Membership m = in.membership();
    if (m != null) {
      s.setMembers(new ArrayList<>(m.live().stream().map(MemberRecord::toMember).toList()))
        .setQuorate(config.quorate(m.counted()))
        .setSentry(m.sentry())
        .setConverged(checksum != null && m.convergedOn(checksum));
      m.live().forEach(r -> ids.put(r.name(), r.nodeId()));
    }
    List<String> siblings = Optional.ofNullable(s.groups().get(config.group())).map(List::copyOf).orElse(List.of());
    Ownership o = new Ownership(in.rings(), in.status(), s.isQuorate(), in.node(), config.group(), config.consensus(),
      config.quorumLossPolicy());
    return new Published(s, o, new SiblingCalls.Routing(in.status(), ids), siblings);
  }

  private static List<String> missing(Membership membership, List<String> expected) {
    if (membership == null || expected.isEmpty()) {
      return new ArrayList<>(expected);
    }
    Set<String> present = new HashSet<>();
    for (MemberRecord r : membership.live()) {
      if (r.port() > 0) {
        present.add(new HostAndPort(r.host(), r.port()).toString());
      }
    }
    List<String> out = new ArrayList<>();
    for (String e : expected) {
      if (!present.contains(e)) {
        out.add(e);
      }
    }
    return out;
  }
}
