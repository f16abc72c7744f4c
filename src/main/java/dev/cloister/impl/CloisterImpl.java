package dev.cloister.impl;

import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.CallOptions;
import dev.cloister.NodeReply;
import dev.cloister.StateChange;
import dev.cloister.impl.calls.SiblingCalls;
import dev.cloister.CloisterClusterManager;
import dev.cloister.impl.discovery.DnsDiscovery;
import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.Sentry;
import dev.cloister.impl.fsm.Transitions;
import dev.cloister.impl.fsm.Trigger;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.MembersCache;
import dev.cloister.impl.membership.Membership;
import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.ring.Rings;
import dev.cloister.impl.transport.JGroupsStack;
import dev.cloister.CloisterRing;
import dev.cloister.QuorumLossPolicy;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.Closeable;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.streams.ReadStream;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.Address;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The I/O shell around the pure parts: it feeds the member records and the cluster view into
 * {@link Membership}, drives {@link Transitions}, and publishes every transition.
 *
 * <p>All mutable state is confined to the context the Cloister was created on; Infinispan's
 * callbacks only schedule a refresh there, and blocking cache calls run as ordered blocking tasks.
 */
public final class CloisterImpl implements Cloister, Shareable {

  private static final Logger log = LoggerFactory.getLogger(Cloister.class);
  private static final String REGISTRY = "__cloister";
  private static final String INSTANCE = "instance";
  private static final long WAIT_LOG_INTERVAL = 10_000;
  private static final long WRITE_RETRY_DELAY = 500;
  /**
   * How long a node name held by a node still in the view may take to be freed: twice the time
   * failure detection needs to evict an unreachable node (heartbeat timeout plus the suspicion
   * check), so that a node restarted right after a crash takes its name back instead of failing.
   */
  static final long NAME_CLAIM_GRACE = 2 * (JGroupsStack.HEARTBEAT_TIMEOUT + JGroupsStack.VERIFY_SUSPECT_TIMEOUT);

  private final VertxInternal vertx;
  private final ContextInternal context;
  private final CloisterOptions options;
  private final String group;
  private final List<CloisterListener> listeners = new CopyOnWriteArrayList<>();
  private final Promise<CloisterState> started = Promise.promise();
  private final Promise<Void> stopped = Promise.promise();
  private final long startedAt = System.currentTimeMillis();
  private final Closeable closeHook = this::closeWithVertx;
  private final SiblingCalls calls;

  // Confined to the context.
  private CloisterStatus status = CloisterStatus.DOWN;
  private String nodeName;
  private MemberRecord self;
  private boolean writing;
  private Future<Void> lastWrite = Future.succeededFuture();
  private MembersCache members;
  private Membership membership;
  private String checksum;
  private Rings rings = Rings.EMPTY;
  private long version;
  private MessageConsumer<Object> whoisConsumer;
  private final Sentry sentry;
  private boolean discovered;
  private Assembled pendingAssembly;
  private MessageConsumer<Object> discoveryConsumer;
  private boolean warnedDiscovery;
  private DnsDiscovery ownDiscovery;
  private List<String> expected = List.of();
  private final Set<String> knownNodeIds = new HashSet<>();
  private final Set<String> purging = new HashSet<>();
  private boolean refreshing;
  private boolean refreshAgain;
  private long startTimer = -1;
  private long waitTimer = -1;
  private Throwable abortCause;

  private volatile CloisterState state;
  private volatile Ownership ownership = new Ownership(Rings.EMPTY, CloisterStatus.DOWN, false, null);

  /** What ownership questions are answered from: replaced as one value on every change. */
  private record Ownership(Rings rings, CloisterStatus status, boolean quorate, String node) {
  }

  /**
   * Creates a Cloister; see {@link Cloister#create(Vertx, CloisterOptions)}.
   *
   * @param vertx the Vert.x instance
   * @param options the options, validated here
   */
  public CloisterImpl(Vertx vertx, CloisterOptions options) {
    this.options = new CloisterOptions(options).validate();
    this.vertx = (VertxInternal) vertx;
    this.context = this.vertx.getOrCreateContext();
    this.group = this.options.effectiveGroup();
    this.sentry = Sentry.parse(this.options.getSentry(), this.options.getClusterPort() == 0
      ? CloisterOptions.DEFAULT_CLUSTER_PORT : this.options.getClusterPort());
    if (this.options.getListener() != null) {
      listeners.add(instantiate(this.options.getListener()));
    }
    this.state = buildState();
    this.calls = new SiblingCalls(vertx, this.options.getAddressPrefix(), () -> state);
  }

  /**
   * The Cloister running in {@code vertx}.
   *
   * @param vertx a Vert.x instance
   * @return its Cloister
   */
  public static Cloister of(Vertx vertx) {
    Object c = vertx.sharedData().getLocalMap(REGISTRY).get(INSTANCE);
    if (c == null) {
      throw new IllegalStateException("No Cloister is running in this Vert.x instance");
    }
    return (Cloister) c;
  }

  private static CloisterListener instantiate(String className) {
    try {
      ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
        .orElse(CloisterImpl.class.getClassLoader());
      Class<?> type = Class.forName(className, true, loader);
      if (!CloisterListener.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException("Invalid Cloister option listener = '" + className
          + "': not a " + CloisterListener.class.getName());
      }
      return (CloisterListener) type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalArgumentException("Invalid Cloister option listener = '" + className
        + "': cannot be instantiated (" + e + ")", e);
    }
  }

  @Override
  public Cloister listener(CloisterListener listener) {
    listeners.add(listener);
    return this;
  }

  @Override
  public Future<CloisterState> start() {
    context.runOnContext(v -> doStart());
    return started.future();
  }

  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> doClose(done));
    return done.future();
  }

  @Override
  public CloisterState state() {
    return new CloisterState(state.toJson());
  }

  @Override
  public String nodeName() {
    return state.getNode();
  }

  @Override
  public int consensus() {
    return options.getConsensus();
  }

  @Override
  public List<String> siblings() {
    List<String> names = state.groups().get(group);
    return names == null ? List.of() : names;
  }

  @Override
  public String whois(Object key) {
    return whois(group, key);
  }

  @Override
  public String whois(String group, Object key) {
    return ring(ownership, group, key).ring().owner(hashOf(key));
  }

  @Override
  public boolean mine(Object key) {
    Ownership o = ownership;
    return ring(o, group, key).ring().owner(hashOf(key)).equals(o.node);
  }

  /**
   * Answers a whois with the ring's version, as the event bus replies.
   *
   * @param group the group, or {@code null} for this node's
   * @param key the key
   * @return {@code {node, group, ringVersion}}
   */
  JsonObject whoisReply(String group, Object key) {
    String g = group == null ? this.group : group;
    Rings.Versioned v = ring(ownership, g, key);
    return new JsonObject().put("node", v.ring().owner(hashOf(key))).put("group", g).put("ringVersion", v.version());
  }

  private Rings.Versioned ring(Ownership o, String group, Object key) {
    switch (o.status) {
      case READY, NONODE -> { }
      case REHASHING -> {
        if (!o.quorate && options.getQuorumLossPolicy() == QuorumLossPolicy.PROTECT) {
          throw new CloisterException(CloisterException.NO_QUORUM, "Below consensus " + options.getConsensus()
            + " and quorumLossPolicy is protect: ownership is not answered until quorum returns");
        }
      }
      default -> throw new CloisterException(CloisterException.NO_QUORUM, "Not ready: the node is " + o.status);
    }
    if (key == null || (key instanceof String k && k.isEmpty())) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "The key must not be null or empty");
    }
    if (group == null) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "The group must not be null");
    }
    Rings.Versioned v = o.rings.group(group);
    if (v == null || v.ring().isEmpty()) {
      throw new CloisterException(CloisterException.NOT_FOUND, "Group '" + group + "' has no live member");
    }
    return v;
  }

  private static long hashOf(Object key) {
    try {
      return dev.cloister.impl.ring.KeyHash.hash(key);
    } catch (IllegalArgumentException e) {
      throw new CloisterException(CloisterException.BAD_REQUEST, e.getMessage());
    }
  }

  @Override
  public Future<List<String>> siblingsRefreshed() {
    Promise<List<String>> result = Promise.promise();
    context.runOnContext(v -> {
      MembersCache mc = members;
      if (mc == null) {
        result.complete(siblings());
        return;
      }
      vertx.executeBlocking(mc::snapshot, true).onComplete((snap, err) -> {
        if (err == null) {
          apply(snap);
        }
        result.complete(siblings());
      });
    });
    return result.future();
  }

  @Override
  public ReadStream<StateChange> stateStream() {
    StateStream stream = new StateStream(context, listeners::remove);
    listeners.add(stream);
    if (state.getStatus() == CloisterStatus.STOPPED) {
      stream.end();
    }
    return stream;
  }

  // ---- sibling calls: see SiblingCalls ----

  @Override
  public Future<List<NodeReply>> multicall(String address, Object body) {
    return calls.multicall(siblings(), address, body, null);
  }

  @Override
  public Future<List<NodeReply>> multicall(List<String> nodes, String address, Object body) {
    return calls.multicall(nodes, address, body, null);
  }

  @Override
  public Future<List<NodeReply>> multicall(List<String> nodes, String address, Object body, CallOptions options) {
    return calls.multicall(nodes, address, body, options);
  }

  @Override
  public Future<Void> multicast(String address, Object body) {
    return calls.multicast(null, address, body, null);
  }

  @Override
  public Future<Void> multicast(List<String> nodes, String address, Object body) {
    return multicast(nodes, address, body, null);
  }

  @Override
  public Future<Void> multicast(List<String> nodes, String address, Object body, CallOptions options) {
    // A null list here would silently become a cluster-wide publish: refuse it instead.
    return nodes == null ? Future.failedFuture(new CloisterException(CloisterException.BAD_REQUEST, "no node list given"))
      : calls.multicast(nodes, address, body, options);
  }

  @Override
  public Cloister register(String name, Function<JsonArray, Future<Object>> function) {
    calls.register(name, function);
    return this;
  }

  @Override
  public boolean unregister(String name) {
    return calls.functions().unregister(name);
  }

  @Override
  public Future<List<NodeReply>> multiapply(String name, JsonArray args) {
    return calls.multiapply(siblings(), name, args, null);
  }

  @Override
  public Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args) {
    return calls.multiapply(nodes, name, args, null);
  }

  @Override
  public Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args, CallOptions options) {
    return calls.multiapply(nodes, name, args, options);
  }

  // ---- start ----

  private void doStart() {
    if (status != CloisterStatus.DOWN) {
      started.tryFail(new IllegalStateException("This Cloister was already started"));
      return;
    }
    LocalMap<String, Object> registry = vertx.sharedData().getLocalMap(REGISTRY);
    Object running = registry.putIfAbsent(INSTANCE, this);
    if (running != null) {
      started.tryFail(new IllegalStateException("A Cloister is already running in this Vert.x instance ("
        + ((Cloister) running).nodeName() + "): one node, one Cloister"));
      return;
    }
    vertx.addCloseHook(closeHook);
    // Local: each node answers its own verticles from its own rings, as whois() does, with no
    // network hop; another node is asked through sibling calls.
    whoisConsumer = vertx.eventBus().localConsumer(options.getAddressPrefix() + ".whois", new WhoisEndpoint(this));
    fire(Trigger.START);
    if (sentry.isDns()) {
      watchDiscovery();
    }
    if (options.getStartTimeout() > 0) {
      startTimer = vertx.setTimer(options.getStartTimeout(), id -> onStartTimeout());
    }
    waitTimer = vertx.setPeriodic(WAIT_LOG_INTERVAL, id -> logWaiting());
    if (!vertx.isClustered()) {
      startAlone();
      return;
    }
    ClusterManager cm = vertx.clusterManager();
    if (!(cm instanceof InfinispanClusterManager icm)) {
      abort(new CloisterException(CloisterException.BAD_REQUEST, "Cloister needs the vertx-infinispan cluster "
        + "manager (use CloisterClusterManager); this Vert.x runs " + cm.getClass().getName()));
      return;
    }
    String nodeId = cm.getNodeId();
    // The inbox is reachable before the member record exists, so no member is ever listed
    // that cannot answer sibling calls yet.
    calls.open(nodeId, true).compose(v -> vertx.executeBlocking(() -> assemble(icm, nodeId), true)).onComplete((a, err) -> {
      if (err != null) {
        abort(err);
      } else {
        onAssembled(a);
      }
    });
  }

  /**
   * Follows what the DNS sentry lists: the transport's discovery publishes it; on a cluster
   * manager that is not Cloister's, this node resolves the name itself (only to know who is
   * expected: that transport's discovery is the user's).
   */
  private void watchDiscovery() {
    discoveryConsumer = vertx.eventBus().localConsumer(options.getAddressPrefix() + ".discovery",
      m -> onDiscovery(m.body()));
    onDiscovery(vertx.sharedData().getLocalMap(DnsDiscovery.MAP).get(DnsDiscovery.KEY));
    if (vertx.isClustered() && !(vertx.clusterManager() instanceof CloisterClusterManager)) {
      List<HostAndPort> servers = new ArrayList<>();
      options.getDnsServers().forEach(x -> servers.add(HostAndPort.parse(x, 53)));
      ownDiscovery = new DnsDiscovery(vertx, sentry, servers, options.getDiscoveryInterval(),
        options.getAddressPrefix(), seeds -> { });
      ownDiscovery.resolveOnce();
      ownDiscovery.start();
    }
  }

  private void onDiscovery(Object body) {
    if (body == null) {
      return;
    }
    List<String> seeds = new ArrayList<>();
    try {
      JsonObject event = (JsonObject) body;
      if (!sentry.dnsName().equals(event.getString("name"))) {
        return;
      }
      for (Object seed : event.getJsonArray("seeds")) {
        seeds.add(HostAndPort.parse((String) seed, sentry.defaultPort()).toString());
      }
    } catch (RuntimeException bad) {
      // Anyone in this Vert.x may publish here: what is not a discovery event is ignored, once said.
      if (!warnedDiscovery) {
        warnedDiscovery = true;
        log.warn(label() + " ignoring an invalid message on " + options.getAddressPrefix() + ".discovery: " + bad);
      }
      return;
    }
    expected = List.copyOf(seeds);
    discovered |= !seeds.isEmpty();
    if (pendingAssembly != null && discovered) {
      Assembled p = pendingAssembly;
      pendingAssembly = null;
      assembled(p);
      refresh();
    } else if (status != CloisterStatus.STOPPING && status != CloisterStatus.STOPPED) {
      publish();
    }
  }

  private void startAlone() {
    if (options.getConsensus() > 1) {
      abort(new CloisterException(CloisterException.BAD_REQUEST, "Invalid Cloister option consensus = "
        + options.getConsensus() + ": this Vert.x is not clustered, so the node is a ring of one and only "
        + "consensus 1 can be reached; build Vert.x with a CloisterClusterManager"));
      return;
    }
    nodeName = options.getNodeName() != null ? options.getNodeName() : options.getApp() + "@nonode";
    self = new MemberRecord(nodeName, options.getApp(), group, "127.0.0.1", 0, "nonode", startedAt,
      CloisterStatus.NONODE, null);
    membership = new Membership(options.getApp(), List.of(self));
    calls.open(self.nodeId(), false);
    installRings();
    self = self.report(CloisterStatus.NONODE, checksum);
    membership = new Membership(options.getApp(), List.of(self));
    version = 1;
    fire(Trigger.ASSEMBLED);
    fire(Trigger.NONODE);
    cancelStartTimers();
    started.tryComplete(state);
  }

  /** What the blocking part of the start hands back to the context. */
  private record Assembled(MembersCache members, MemberRecord self, List<String> expected,
                           MembersCache.Snapshot snapshot) {
  }

  private Assembled assemble(InfinispanClusterManager cm, String nodeId) {
    EmbeddedCacheManager manager = (EmbeddedCacheManager) cm.getCacheContainer();
    HostAndPort bound = physicalAddress(manager, cm);
    String name = options.getNodeName() != null ? options.getNodeName()
      : options.getApp() + "@" + bound.host() + ":" + bound.port();
    MemberRecord me = new MemberRecord(name, options.getApp(), group, bound.host(), bound.port(), nodeId, startedAt,
      CloisterStatus.ASSEMBLING, null);
    MembersCache mc = MembersCache.open(manager, () -> context.runOnContext(v -> refresh()));
    try {
      mc.claim(me, NAME_CLAIM_GRACE);
    } catch (RuntimeException e) {
      mc.close();
      throw e;
    }
    return new Assembled(mc, me, expectedSeeds(), mc.snapshot());
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
    for (HostAndPort seed : sentry.staticSeeds()) {
      try {
        out.add(new HostAndPort(InetAddress.getByName(seed.host()).getHostAddress(), seed.port()).toString());
      } catch (UnknownHostException e) {
        out.add(seed.toString());
      }
    }
    return List.copyOf(out);
  }

  private void onAssembled(Assembled a) {
    if (status != CloisterStatus.ASSEMBLING) {
      // Stopped while the start was blocked in the cache: give the name back.
      vertx.executeBlocking(() -> {
        a.members.leave(a.self);
        a.members.close();
        return null;
      }, true);
      return;
    }
    if (sentry.isDns() && options.getConsensus() > 1 && !discovered) {
      // Nobody listed under the name yet (NXDOMAIN, no records): still assembling.
      log.info(label() + " waiting for DNS sentry " + sentry.dnsName() + " to list nodes");
      pendingAssembly = a;
      return;
    }
    assembled(a);
  }

  private void assembled(Assembled a) {
    members = a.members;
    self = a.self;
    nodeName = self.name();
    if (sentry.isStatic()) {
      expected = a.expected;
    }
    membership = Membership.of(options.getApp(), a.snapshot.records().values(), a.snapshot.view());
    version = 1;
    installRings();
    fire(Trigger.ASSEMBLED);
    apply(a.snapshot);
  }

  // ---- membership changes ----

  private void refresh() {
    MembersCache mc = members;
    if (mc == null || (status != CloisterStatus.REHASHING && status != CloisterStatus.READY)) {
      return;
    }
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    vertx.executeBlocking(mc::snapshot, true).onComplete((snap, err) -> {
      refreshing = false;
      if (err != null) {
        if (status == CloisterStatus.READY || status == CloisterStatus.REHASHING) {
          log.warn(label() + " cannot read the membership: " + err.getMessage());
        }
      } else {
        apply(snap);
      }
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
  }

  private void apply(MembersCache.Snapshot snap) {
    if (status != CloisterStatus.REHASHING && status != CloisterStatus.READY) {
      return;
    }
    purgeDeparted(snap);
    boolean mayWrite = healOwnRecord(snap);
    Membership next = Membership.of(options.getApp(), snap.records().values(), snap.view());
    boolean changed = !next.sameTopology(membership);
    membership = next;
    boolean quorate = next.size() >= options.getConsensus();
    boolean left = false;
    if (changed) {
      version++;
      if (status == CloisterStatus.READY) {
        left = fire(Trigger.REHASH);
      }
      installRings();
    }
    if (status == CloisterStatus.REHASHING) {
      if (quorate) {
        fire(Trigger.QUORUM);
      } else if (changed && !left) {
        fire(Trigger.REHASH);
      }
    }
    if (mayWrite) {
      report(snap.records().get(nodeName));
    }
    publish();
    if (status == CloisterStatus.READY && started.tryComplete(state)) {
      cancelStartTimers();
    }
  }

  private void purgeDeparted(MembersCache.Snapshot snap) {
    for (MemberRecord r : snap.records().values()) {
      String value = snap.raw().get(r.name());
      // Only nodes this node saw in a view and then lost are purged: a record may reach this
      // replica a moment before its node's view does.
      if (!snap.view().contains(r.nodeId()) && knownNodeIds.contains(r.nodeId()) && purging.add(r.name())) {
        members.purge(r.name(), value).whenComplete((removed, err) -> context.runOnContext(v -> {
          purging.remove(r.name());
          if (Boolean.TRUE.equals(removed)) {
            log.info(label() + " purged departed member " + r.name() + " (" + r.nodeId() + ")");
          }
        }));
      }
    }
    knownNodeIds.addAll(snap.view());
  }

  /** Removes impostors of this node; returns whether this node may write its record under its name. */
  private boolean healOwnRecord(MembersCache.Snapshot snap) {
    // A record that carries this node's id under another name is not this node's (a node writes
    // only its own name): left alone it would be a phantom member, alive as long as this node is,
    // or, under another node's name, keep that node out of the ring. Only this node can tell.
    for (MemberRecord r : snap.records().values()) {
      if (r.nodeId().equals(self.nodeId()) && !r.name().equals(nodeName) && purging.add(r.name())) {
        members.purge(r.name(), snap.raw().get(r.name())).whenComplete((removed, err) -> context.runOnContext(v -> {
          purging.remove(r.name());
          if (Boolean.TRUE.equals(removed)) {
            log.warn(label() + " removed a record that claimed its node id under the name " + r.name());
          }
        }));
      }
    }
    MemberRecord stored = snap.records().get(nodeName);
    if (stored == null || !stored.nodeId().equals(self.nodeId())) {
      if (stored != null && snap.view().contains(stored.nodeId())) {
        log.error(label() + " another live node (" + stored.nodeId() + ") holds this node's name; "
          + "node names must be unique");
        return false;
      }
      if (!writing) {
        // Lost in a merge or purged by a side that thought this node gone: report() writes it back.
        log.info(label() + " restoring its member record");
      }
    }
    return true;
  }

  private void installRings() {
    rings = rings.next(membership.groups(), options.getVnodes() == 0 ? HashRing.DEFAULT_VNODES : options.getVnodes());
    checksum = rings.checksum();
  }

  /**
   * Writes this node's record when the stored one differs from what it should say. The stored
   * record is compared, not the last one written: a write can be overtaken (two puts of the same
   * key in flight across a view change land in either order) and the cluster would then never
   * converge on a stale checksum. One write at a time; each is followed by a fresh read.
   */
  private void report(MemberRecord stored) {
    MemberRecord desired = self.report(status, checksum);
    if (members == null || writing || desired.equals(stored)) {
      return;
    }
    writing = true;
    Promise<Void> written = Promise.promise();
    lastWrite = written.future();
    members.write(desired).whenComplete((v, err) -> context.runOnContext(x -> {
      writing = false;
      written.complete();
      if (err != null) {
        log.warn(label() + " cannot write its member record: " + err.getMessage());
        // Retried from the next read; a pause keeps a broken cluster from being hammered.
        vertx.setTimer(WRITE_RETRY_DELAY, id -> refresh());
      } else {
        refresh();
      }
    }));
  }

  // ---- transitions ----

  private boolean fire(Trigger trigger) {
    Optional<CloisterStatus> next = Transitions.next(status, trigger);
    if (next.isEmpty()) {
      return false;
    }
    CloisterStatus from = status;
    status = next.get();
    CloisterState s = publish();
    log.info(label() + " " + from + " -> " + status + " members " + s.memberNames()
      + (status == CloisterStatus.REHASHING && !s.isQuorate()
      ? " (consensus " + options.getConsensus() + " not reached)" : ""));
    for (CloisterListener l : listeners) {
      try {
        l.onStateChange(from, status, s);
      } catch (Throwable t) {
        log.error(label() + " listener " + l.getClass().getName() + " failed on " + from + " -> " + status, t);
      }
    }
    try {
      vertx.eventBus().publish(options.getAddressPrefix() + ".state",
        new JsonObject().put("from", from.name()).put("to", status.name()).put("state", s.toJson()),
        new DeliveryOptions().setLocalOnly(true));
    } catch (RuntimeException e) {
      log.debug("Cannot publish the state change: " + e.getMessage());
    }
    return true;
  }

  /** Replaces the state snapshot and the ownership value together; returns the new state. */
  private CloisterState publish() {
    CloisterState s = buildState();
    state = s;
    ownership = new Ownership(rings, status, s.isQuorate(), nodeName);
    return s;
  }

  private CloisterState buildState() {
    CloisterState s = new CloisterState()
      .setStatus(status)
      .setApp(options.getApp())
      .setNode(nodeName)
      .setGroup(group)
      .setConsensus(options.getConsensus())
      .setVersion(version)
      .setChecksum(checksum)
      .setStartedAt(startedAt)
      .setMissing(missing());
    List<CloisterRing> rs = new ArrayList<>();
    rings.groups().forEach((g, v) -> rs.add(new CloisterRing().setGroup(g).setMembers(v.ring().members())
      .setVersion(v.version()).setChecksum(v.checksum())));
    s.setRings(rs);
    if (membership != null) {
      s.setMembers(new ArrayList<>(membership.live().stream().map(MemberRecord::toMember).toList()))
        .setQuorate(membership.size() >= options.getConsensus())
        .setSentry(membership.sentry())
        .setConverged(checksum != null && membership.convergedOn(checksum));
    }
    return s;
  }

  private List<String> missing() {
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

  private String label() {
    return "[" + (nodeName == null ? options.getApp() : nodeName) + "]";
  }

  // ---- waiting, timeout, stop ----

  private void logWaiting() {
    if (status == CloisterStatus.ASSEMBLING || (status == CloisterStatus.REHASHING && !state.isQuorate())) {
      log.info(label() + " waiting for consensus " + options.getConsensus() + ": members " + state.memberNames()
        + ", missing " + state.getMissing());
    }
  }

  private void onStartTimeout() {
    startTimer = -1;
    if (status == CloisterStatus.READY || status == CloisterStatus.NONODE) {
      return;
    }
    abort(new CloisterException(CloisterException.TIMEOUT, label() + " consensus " + options.getConsensus()
      + " not reached within " + options.getStartTimeout() + " ms: members seen " + state.memberNames()
      + ", sentries missing " + state.getMissing()));
  }

  private void abort(Throwable cause) {
    log.error(label() + " cannot start: " + cause.getMessage());
    // The start fails once the node has left, with this cause rather than "stopped before READY".
    abortCause = cause;
    doClose(Promise.promise());
  }

  private void cancelStartTimers() {
    if (startTimer >= 0) {
      vertx.cancelTimer(startTimer);
      startTimer = -1;
    }
  }

  private void closeWithVertx(Completable<Void> completion) {
    close().onComplete(completion);
  }

  private void doClose(Promise<Void> done) {
    if (status == CloisterStatus.STOPPED || status == CloisterStatus.STOPPING) {
      stopped.future().onComplete(done);
      return;
    }
    if (status == CloisterStatus.DOWN && !started.future().isComplete()
      && vertx.sharedData().getLocalMap(REGISTRY).get(INSTANCE) != this) {
      // Never started: nothing to leave.
      status = CloisterStatus.STOPPED;
      stopped.tryComplete();
      done.complete();
      return;
    }
    cancelStartTimers();
    if (waitTimer >= 0) {
      vertx.cancelTimer(waitTimer);
      waitTimer = -1;
    }
    fire(Trigger.STOP);
    if (whoisConsumer != null) {
      whoisConsumer.unregister();
      whoisConsumer = null;
    }
    if (discoveryConsumer != null) {
      discoveryConsumer.unregister();
      discoveryConsumer = null;
    }
    if (ownDiscovery != null) {
      ownDiscovery.close();
      ownDiscovery = null;
    }
    MembersCache mc = pendingAssembly != null ? pendingAssembly.members : members;
    MemberRecord me = pendingAssembly != null ? pendingAssembly.self : self;
    pendingAssembly = null;
    members = null;
    Future<Void> inboxClosed = calls.close().recover(err -> Future.succeededFuture());
    // A report still in flight would land after the leave and bring the record back, keeping a
    // node whose Vert.x stays in the cluster listed as a member: leave once it has landed.
    Future<Void> left = mc == null ? inboxClosed : inboxClosed.transform(x -> lastWrite).transform(w -> vertx.executeBlocking(() -> {
      try {
        mc.leave(me);
      } finally {
        mc.close();
      }
      return null;
    }, true));
    left.onComplete((v, err) -> {
      if (err != null) {
        log.warn(label() + " could not remove its member record: " + err.getMessage());
      }
      fire(Trigger.STOPPED);
      vertx.sharedData().getLocalMap(REGISTRY).remove(INSTANCE, this);
      vertx.removeCloseHook(closeHook);
      started.tryFail(abortCause != null ? abortCause
        : new CloisterException(CloisterException.NO_QUORUM, label() + " stopped before READY"));
      stopped.tryComplete();
    });
    stopped.future().onComplete(done);
  }

}
