package dev.cloister.impl;

import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.impl.calls.CallProtocol;
import dev.cloister.impl.calls.SiblingCalls;
import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.fsm.Trigger;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.MembersCache;
import dev.cloister.impl.membership.MembershipReconciler;
import dev.cloister.impl.ring.NodeRings;
import dev.cloister.impl.ring.RingMaintainer;
import dev.cloister.impl.transport.BlockingPools;
import dev.cloister.impl.transport.NodeTransport;
import io.vertx.core.Closeable;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.Address;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node's start and stop: claims the node's place in its Vert.x, deploys ring maintenance,
 * joins the members cache and claims the name (blocking, on a worker), waits for a DNS sentry to
 * list someone, watches the start timeout, and leaves gracefully. Confined to the node's context.
 */
final class Lifecycle {

  private static final Logger log = LoggerFactory.getLogger(Cloister.class);
  /** The local map holding the Cloister of each Vert.x; this class is the only one to write it. */
  private static final String REGISTRY = "__cloister";
  private static final String INSTANCE = "instance";
  private static final long WAIT_LOG_INTERVAL = 10_000;
  /**
   * How long the shutdown hook waits for each of its two steps (the graceful leave, then closing
   * Vert.x): bounded, so that a blocked event loop (or System.exit called on one) delays the JVM's
   * exit instead of hanging it.
   */
  private static final long SHUTDOWN_STEP_MS = 5_000;

  /** What the blocking part of the start hands back to the context. */
  private record Assembled(MembershipReconciler reconciler, List<String> expected, MembersCache.Snapshot snapshot) {
  }

  private final VertxInternal vertx;
  private final ContextInternal context;
  private final NodeConfig config;
  private final Cloister owner;
  private final NodeStateMachine machine;
  private final StatePublisher publisher;
  private final SiblingCalls calls;
  private final Promise<CloisterState> started = Promise.promise();
  private final Promise<Void> stopped = Promise.promise();
  /** Cloister's own worker threads (see {@link BlockingPools}), let go once the node stopped. */
  private final WorkerExecutor blocking;
  private final Closeable closeHook = this::closeWithVertx;
  /** The JVM shutdown hook while the node runs, or {@code null} when the option is off. */
  private final Thread shutdownHook;
  private final long startedAt;
  private final DiscoveryWatcher discovery;
  private MessageConsumer<Object> whois;
  private MessageConsumer<Object> workSets;
  private RingMaintainer.Client maintainer;
  private Assembled pending;
  private Timers timers = new Timers(-1, -1);
  private Throwable abortCause;

  /** The start-timeout and wait-log timer ids, -1 when none. */
  private record Timers(long start, long waitLog) {
  }

  Lifecycle(VertxInternal vertx, ContextInternal context, NodeConfig config, Cloister owner, NodeStateMachine machine,
            StatePublisher publisher, SiblingCalls calls, long startedAt) {
    this.vertx = vertx;
    this.context = context;
    this.config = config;
    this.owner = owner;
    this.machine = machine;
    this.publisher = publisher;
    this.calls = calls;
    this.startedAt = startedAt;
    this.blocking = BlockingPools.node(vertx);
    stopped.future().onComplete(x -> blocking.close());
    this.discovery = config.sentry().isDns() ? new DiscoveryWatcher(vertx, config, this::onSeeds, machine::label) : null;
    this.shutdownHook = config.shutdownHook() ? new Thread(this::onJvmShutdown, "cloister-shutdown") : null;
    machine.onSettled(this::settled);
  }

  /**
   * The Cloister running in a Vert.x.
   *
   * @param vertx a Vert.x instance
   * @return its Cloister, or {@code null}
   */
  static Cloister running(io.vertx.core.Vertx vertx) {
    return (Cloister) vertx.sharedData().getLocalMap(REGISTRY).get(INSTANCE);
  }

  Future<CloisterState> started() {
    return started.future();
  }

  /** Starts the node; on the node's context. */
  void start(WhoisEndpoint whoisEndpoint, Handler<Message<Object>> workSetsEndpoint) {
    if (machine.status() != CloisterStatus.DOWN) {
      started.tryFail(new IllegalStateException("This Cloister was already started"));
      return;
    }
    LocalMap<String, Object> registry = vertx.sharedData().getLocalMap(REGISTRY);
    Object running = registry.putIfAbsent(INSTANCE, owner);
    if (running != null) {
      started.tryFail(new IllegalStateException("A Cloister is already running in this Vert.x instance ("
        + ((Cloister) running).nodeName() + "): one node, one Cloister"));
      return;
    }
    vertx.addCloseHook(closeHook);
    addShutdownHook();
    // Local: each node answers its own verticles from its own rings, as whois() does, with no
    // network hop; another node is asked through sibling calls.
    whois = vertx.eventBus().localConsumer(config.addressPrefix() + ".whois", whoisEndpoint);
    // Every node answers which worker sets it runs, for the dashboard of any node.
    workSets = calls.consumer(WorkSets.address(config.addressPrefix()), workSetsEndpoint);
    machine.fire(Trigger.START);
    ClusterManager cm = vertx.isClustered() ? vertx.clusterManager() : null;
    if (discovery != null) {
      discovery.start(cm == null || NodeTransport.of(vertx).ownsDiscovery());
    }
    long startTimer = config.startTimeout() > 0 ? vertx.setTimer(config.startTimeout(), id -> onStartTimeout()) : -1;
    timers = new Timers(startTimer, vertx.setPeriodic(WAIT_LOG_INTERVAL, id -> logWaiting()));
    RingMaintainer.deploy(vertx, config.addressPrefix()).onComplete((client, err) -> {
      if (err != null) {
        abort(err);
        return;
      }
      if (machine.status() != CloisterStatus.ASSEMBLING) {
        client.close(); // closed meanwhile
        return;
      }
      maintainer = client;
      machine.rings(new NodeRings(client, config.vnodes(), machine::ringsBuilt));
      if (cm == null) {
        startAlone();
      } else {
        join(cm);
      }
    });
  }

  private void join(ClusterManager cm) {
    if (!(cm instanceof InfinispanClusterManager icm)) {
      abort(new CloisterException(CloisterException.BAD_REQUEST, "Cloister needs the vertx-infinispan cluster "
        + "manager (use CloisterClusterManager); this Vert.x runs " + cm.getClass().getName()));
      return;
    }
    String nodeId = cm.getNodeId();
    long grace = NodeTransport.of(vertx).nameClaimGrace();
    // The inbox is reachable before the member record exists, so no member is ever listed
    // that cannot answer sibling calls yet.
    calls.open(nodeId, true).compose(v -> blocking.executeBlocking(() -> assemble(icm, nodeId, grace), true))
      .onComplete((a, err) -> {
        if (err != null) {
          abort(err);
        } else {
          onAssembled(a);
        }
      });
  }

  private void startAlone() {
    if (config.consensus() > 1) {
      abort(new CloisterException(CloisterException.BAD_REQUEST, "Invalid Cloister option consensus = "
        + config.consensus() + ": this Vert.x is not clustered, so the node is a ring of one and only "
        + "consensus 1 can be reached; build Vert.x with a CloisterClusterManager"));
      return;
    }
    String name = config.nodeName() != null ? config.nodeName() : config.app() + "@nonode";
    MemberRecord self = new MemberRecord(name, config.app(), config.group(), "127.0.0.1", 0,
      CallProtocol.UNCLUSTERED_NODE_ID, startedAt,
      CloisterStatus.NONODE, null);
    calls.open(self.nodeId(), false);
    machine.alone(self);
  }

  private Assembled assemble(InfinispanClusterManager cm, String nodeId, long grace) {
    EmbeddedCacheManager manager = (EmbeddedCacheManager) cm.getCacheContainer();
    HostAndPort bound = physicalAddress(manager, cm);
    String name = config.nodeName() != null ? config.nodeName() : config.app() + "@" + bound.host() + ":" + bound.port();
    MemberRecord me = new MemberRecord(name, config.app(), config.group(), bound.host(), bound.port(), nodeId, startedAt,
      CloisterStatus.ASSEMBLING, null);
    NodeTransport.Liveness liveness = NodeTransport.liveness(vertx);
    MembersCache mc = MembersCache.open(manager, () -> context.runOnContext(v -> machine.refresh()),
      liveness == null ? null : liveness.watch());
    try {
      mc.claim(me, grace);
    } catch (RuntimeException e) {
      mc.close();
      throw e;
    }
    MembershipReconciler r = new MembershipReconciler(vertx, context, blocking, mc, me, machine::apply,
      machine::inMembershipLoop,
      log, machine::label, machine.suspicion(), liveness, config.addressPrefix());
    return new Assembled(r, expectedSeeds(), mc.snapshot());
  }

  private static HostAndPort physicalAddress(EmbeddedCacheManager manager, InfinispanClusterManager cm) {
    List<Address> physical = manager.getTransport() == null ? List.of() : manager.getTransport().getPhysicalAddresses();
    if (physical == null || physical.isEmpty()) {
      throw new IllegalStateException("The cluster transport of " + cm.getNodeId() + " has no physical address");
    }
    return HostAndPort.parse(physical.get(0).toString(), CloisterOptions.DEFAULT_CLUSTER_PORT);
  }

  private List<String> expectedSeeds() {
    List<String> out = new ArrayList<>();
    for (HostAndPort seed : config.sentry().staticSeeds()) {
      try {
        out.add(new HostAndPort(InetAddress.getByName(seed.host()).getHostAddress(), seed.port()).toString());
      } catch (UnknownHostException e) {
        out.add(seed.toString());
      }
    }
    return List.copyOf(out);
  }

  private void onAssembled(Assembled a) {
    if (machine.status() != CloisterStatus.ASSEMBLING) {
      // Stopped while the start was blocked in the cache: give the name back.
      a.reconciler().leave(Future.succeededFuture());
      return;
    }
    if (config.sentry().isDns() && config.consensus() > 1 && !discovery.listed()) {
      // Nobody listed under the name yet (NXDOMAIN, no records): still assembling.
      log.info(machine.label() + " waiting for DNS sentry " + config.sentry().dnsName() + " to list nodes");
      pending = a;
      return;
    }
    assembled(a);
  }

  private void assembled(Assembled a) {
    if (config.sentry().isStatic()) {
      machine.expect(a.expected());
    }
    machine.assembled(a.reconciler(), a.snapshot());
  }

  private void onSeeds(List<String> seeds) {
    machine.expect(seeds);
    if (pending != null && discovery.listed()) {
      Assembled p = pending;
      pending = null;
      assembled(p);
      machine.refresh();
    } else if (machine.status() != CloisterStatus.STOPPING && machine.status() != CloisterStatus.STOPPED) {
      machine.publish();
    }
  }

  /** After every read and ring installation: the start completes on READY (or as a ring of one). */
  private void settled() {
    CloisterStatus s = machine.status();
    if ((s == CloisterStatus.READY || s == CloisterStatus.NONODE) && started.tryComplete(publisher.current().copy())) {
      cancelStartTimer();
    }
  }

  private void logWaiting() {
    CloisterState state = publisher.current().state();
    CloisterStatus s = machine.status();
    if (s == CloisterStatus.ASSEMBLING || (s == CloisterStatus.REHASHING && !state.isQuorate())) {
      log.info(machine.label() + " waiting for consensus " + config.consensus() + ": members " + state.memberNames()
        + ", missing " + state.getMissing());
    }
  }

  private void onStartTimeout() {
    timers = new Timers(-1, timers.waitLog());
    CloisterStatus s = machine.status();
    if (s == CloisterStatus.READY || s == CloisterStatus.NONODE) {
      return;
    }
    CloisterState state = publisher.current().state();
    abort(new CloisterException(CloisterException.TIMEOUT, machine.label() + " consensus " + config.consensus()
      + " not reached within " + config.startTimeout() + " ms: members seen " + state.memberNames()
      + ", sentries missing " + state.getMissing()));
  }

  private void abort(Throwable cause) {
    log.error(machine.label() + " cannot start: " + cause.getMessage());
    // The start fails once the node has left, with this cause rather than "stopped before READY".
    abortCause = cause;
    close(Promise.promise());
  }

  private void cancelStartTimer() {
    if (timers.start() >= 0) {
      vertx.cancelTimer(timers.start());
      timers = new Timers(-1, timers.waitLog());
    }
  }

  private void closeWithVertx(Completable<Void> completion) {
    owner.close().onComplete(completion);
  }

  private void addShutdownHook() {
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is already exiting: nothing left to hook into.
      }
    }
  }

  private void removeShutdownHook() {
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run: the JVM is exiting.
      }
    }
  }

  /**
   * On SIGTERM (docker stop, pod deletion): the graceful leave (record removed first, listeners see
   * STOPPING then STOPPED), then Vert.x closes, which leaves the cluster. Runs on the JVM's hook
   * thread, never on an event loop, so it may wait; each step is bounded.
   */
  private void onJvmShutdown() {
    try {
      owner.close().await(SHUTDOWN_STEP_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn(machine.label() + " did not leave gracefully on JVM shutdown: " + e);
    }
    try {
      vertx.close().await(SHUTDOWN_STEP_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn(machine.label() + " could not close Vert.x on JVM shutdown: " + e);
    }
  }

  /**
   * Leaves gracefully: the record is removed after the last write landed, then STOPPED.
   *
   * @param done completed once stopped
   */
  void close(Promise<Void> done) {
    CloisterStatus status = machine.status();
    if (status == CloisterStatus.STOPPED || status == CloisterStatus.STOPPING) {
      stopped.future().onComplete(done);
      return;
    }
    if (status == CloisterStatus.DOWN && !started.future().isComplete()
      && vertx.sharedData().getLocalMap(REGISTRY).get(INSTANCE) != owner) {
      // Never started: nothing to leave.
      machine.neverStarted();
      stopped.tryComplete();
      done.complete();
      return;
    }
    cancelStartTimer();
    if (timers.waitLog() >= 0) {
      vertx.cancelTimer(timers.waitLog());
      timers = new Timers(-1, -1);
    }
    machine.fire(Trigger.STOP);
    if (whois != null) {
      whois.unregister();
      whois = null;
    }
    if (workSets != null) {
      workSets.unregister();
      workSets = null;
    }
    if (discovery != null) {
      discovery.close();
    }
    MembershipReconciler r = pending != null ? pending.reconciler() : machine.leave();
    if (pending != null) {
      machine.leave();
    }
    pending = null;
    Future<Void> inboxClosed = calls.close().recover(err -> Future.succeededFuture());
    Future<Void> left = r == null ? inboxClosed : r.leave(inboxClosed);
    left.onComplete((v, err) -> {
      if (err != null) {
        log.warn(machine.label() + " could not remove its member record: " + err.getMessage());
      }
    }).transform(x -> maintainer == null ? Future.<Void>succeededFuture() : maintainer.close()).onComplete(x -> {
      machine.fire(Trigger.STOPPED);
      vertx.sharedData().getLocalMap(REGISTRY).remove(INSTANCE, owner);
      vertx.removeCloseHook(closeHook);
      removeShutdownHook();
      started.tryFail(abortCause != null ? abortCause
        : new CloisterException(CloisterException.NO_QUORUM, machine.label() + " stopped before READY"));
      stopped.tryComplete();
    });
    stopped.future().onComplete(done);
  }
}
