package dev.cloister.impl.transport;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.config.UserStack;
import dev.cloister.impl.discovery.DiscoveryVerticle;
import dev.cloister.impl.discovery.DnsDiscovery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import org.infinispan.manager.DefaultCacheManager;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The cluster transport Cloister builds from its options: the JGroups channel bound as
 * {@link ClusterBinding} chooses, seeded from the sentry, and the Infinispan cache manager over it.
 * It resolves a DNS sentry before the node joins (binding to this host's address in the answer
 * unless {@code clusterHost} says otherwise) and, once joined, deploys the discovery verticle that
 * re-resolves it for the node's whole life.
 *
 * <p>Lifecycle, driven by the cluster manager: {@link #start(Vertx)} before the join,
 * {@link #joined(Vertx, BooleanSupplier)} after it, {@link #leaving()} before the leave,
 * {@link #stop(Vertx)} after it.
 *
 * <p>With the {@code jgroupsConfig} option the channel runs the user's stack as written: no
 * binding, seeding or encryption of Cloister's, and the node follows a DNS sentry itself. While it runs, it says so in the local map
 * {@code __cloister.transport} (see {@link NodeTransport}), which it alone writes.
 */
public final class ClusterTransport {

  /** Where the transport logs: the public cluster manager's name, which users configure logging by. */
  public static final String LOG_CATEGORY = "dev.cloister.CloisterClusterManager";

  private static final Logger log = LoggerFactory.getLogger(LOG_CATEGORY);
  /** How long after joining a node that is still alone checks whether seeds answer. */
  private static final long ALONE_CHECK_DELAY = 3000;
  /**
   * How long the JVM shutdown hook waits for Vert.x to close: the node's graceful leave (itself
   * bounded to 5 s) and the cluster manager's; bounded, so that a stuck close delays the JVM's exit
   * instead of hanging it.
   */
  private static final long SHUTDOWN_CLOSE_MS = 15_000;

  private final NodeConfig config;
  private final JChannel channel;
  private final DefaultCacheManager cacheManager;
  // Changed only before the transport starts, when a DNS answer names this host; null on the
  // user's own stack.
  private volatile ClusterBinding binding;
  private volatile DnsDiscovery discovery;
  private volatile String discoveryDeployment;
  private volatile Thread shutdownHook;

  private ClusterTransport(NodeConfig config, ClusterBinding binding, JChannel channel, DefaultCacheManager cacheManager) {
    this.config = config;
    this.binding = binding;
    this.channel = channel;
    channel.name(NodeIds.fresh(config.nodeName() != null ? config.nodeName() : config.app()));
    this.cacheManager = cacheManager;
  }

  /**
   * Builds the channel and the unstarted cache manager; may resolve host names (blocking).
   *
   * @param config the node's configuration
   * @return the transport
   * @throws IllegalStateException when the channel cannot be built
   */
  public static ClusterTransport build(NodeConfig config) {
    if (config.jgroupsConfig() != null) {
      return buildOnUserStack(config);
    }
    ClusterBinding binding = ClusterBinding.choose(config);
    List<InetSocketAddress> seeds = new ArrayList<>();
    for (HostAndPort seed : config.sentry().staticSeeds()) {
      seeds.add(new InetSocketAddress(seed.host(), seed.port()));
    }
    try {
      JChannel channel = JGroupsStack.channel(binding, seeds, config.clusterSecret() == null ? null
        : ClusterSecret.key(config.clusterSecret(), config.app()), config.failureDetection());
      return new ClusterTransport(config, binding, channel, CacheManagers.create(channel, "cloister-" + config.app(),
        !config.shutdownHook()));
    } catch (Exception e) {
      throw new IllegalStateException("Cannot build the cluster transport on " + binding.host().getHostAddress()
        + ":" + binding.port() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The user's JGroups stack, as written: it owns discovery and binding, so the transport neither
   * seeds nor rebinds it, and the node follows a DNS sentry itself. Cloister only adds its passive
   * {@link LivenessWatch} right above the transport.
   */
  private static ClusterTransport buildOnUserStack(NodeConfig config) {
    try (InputStream xml = UserStack.open(config.jgroupsConfig())) {
      JChannel channel = new JChannel(xml);
      // Passive: it only notes when each peer was last heard from, for the quorum on fresh evidence.
      channel.getProtocolStack().insertProtocol(new LivenessWatch(), ProtocolStack.Position.ABOVE, TP.class);
      return new ClusterTransport(config, null, channel, CacheManagers.create(channel, "cloister-" + config.app(),
        !config.shutdownHook()));
    } catch (Exception e) {
      throw new IllegalStateException("Cannot build the cluster transport from the JGroups stack "
        + config.jgroupsConfig() + ": " + e.getMessage(), e);
    }
  }

  /** @return the node's configuration */
  public NodeConfig config() {
    return config;
  }

  /** @return the cache manager vertx-infinispan runs on */
  public DefaultCacheManager cacheManager() {
    return cacheManager;
  }

  /**
   * Resolves a DNS sentry once (the first resolution must happen before the join) and starts the
   * cache manager.
   *
   * @param vertx the node's Vert.x
   * @return completed once the transport runs
   */
  public Future<Void> start(Vertx vertx) {
    // Tells the node on this Vert.x whether its transport follows a DNS sentry itself.
    vertx.sharedData().getLocalMap(NodeTransport.MAP).put(NodeTransport.OWNS_DISCOVERY, !userStack());
    // And which options it runs with, so that the node on this Vert.x takes them or agrees with them.
    vertx.sharedData().getLocalMap(NodeTransport.MAP).put(NodeTransport.OPTIONS, config.options().toJson());
    Future<Void> discovered = Future.succeededFuture();
    if (config.sentry().isDns() && !userStack()) {
      DnsDiscovery d = new DnsDiscovery(vertx, config.sentry(), config.dnsServers(), config.discoveryInterval(),
        config.addressPrefix(), this::seed);
      discovery = d;
      discovered = d.resolveOnce().map(seeds -> {
        bindToAnswer(seeds);
        seed(seeds);
        return null;
      });
    }
    return discovered.compose(x -> vertx.<Void>executeBlocking(() -> {
      cacheManager.start();
      return null;
    }, false)).recover(err -> {
      if (userStack()) {
        return Future.failedFuture(new IllegalStateException("Cannot join the cluster with the JGroups stack "
          + config.jgroupsConfig() + ": " + err.getMessage(), err));
      }
      ClusterBinding b = binding;
      return Future.failedFuture(new IllegalStateException("Cannot join the cluster from " + b.host().getHostAddress()
        + ":" + b.port() + " (port range " + b.portRange() + "): " + err.getMessage(), err));
    });
  }

  /**
   * Once joined: follows the DNS sentry from now on and checks, a moment later, whether this node
   * is alone while a seed answers.
   *
   * @param vertx the node's Vert.x
   * @param active whether the cluster manager is still active
   */
  public void joined(Vertx vertx, BooleanSupplier active) {
    if (config.shutdownHook()) {
      addShutdownHook(vertx);
    }
    DnsDiscovery d = discovery;
    if (d != null) {
      vertx.deployVerticle(new DiscoveryVerticle(d, false)).onSuccess(id -> discoveryDeployment = id);
    }
    if (!userStack()) {
      vertx.setTimer(ALONE_CHECK_DELAY, id -> checkAlone(vertx, active));
    }
  }

  /** Whether the channel runs the user's JGroups stack rather than the one Cloister builds. */
  private boolean userStack() {
    return binding == null;
  }

  /** Before the leave: stops following the DNS sentry and removes what discovery published. */
  public void leaving() {
    DnsDiscovery d = discovery;
    discovery = null;
    if (d != null) {
      // Whether or not its verticle is still deployed (Vert.x undeploys everything on close),
      // closing twice is harmless.
      d.close();
    }
  }

  /**
   * After the leave: stops the cache manager (blocking, on a worker).
   *
   * @param vertx the node's Vert.x
   * @return completed once stopped
   */
  public Future<Void> stop(Vertx vertx) {
    removeShutdownHook();
    vertx.sharedData().getLocalMap(NodeTransport.MAP).remove(NodeTransport.OWNS_DISCOVERY);
    vertx.sharedData().getLocalMap(NodeTransport.MAP).remove(NodeTransport.OPTIONS);
    String deployment = discoveryDeployment;
    discoveryDeployment = null;
    Future<Void> undeployed = deployment == null ? Future.succeededFuture()
      : vertx.undeploy(deployment).recover(err -> Future.succeededFuture());
    return undeployed.compose(x -> vertx.<Void>executeBlocking(() -> {
      cacheManager.stop();
      return null;
    }, false));
  }

  /**
   * On SIGTERM, closes the clustered Vert.x, which leaves the cluster gracefully (Infinispan's own
   * hook is left out when this option is on). A running Cloister leaves first, through its own hook
   * or Vert.x's close hooks, whichever comes first; without one (SIGTERM before any
   * {@code CloisterVerticle}) this is the only graceful leave there is.
   */
  private void addShutdownHook(Vertx vertx) {
    Thread hook = new Thread(() -> {
      try {
        vertx.close().await(SHUTDOWN_CLOSE_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.warn("Could not close the clustered Vert.x on JVM shutdown: " + e);
      }
    }, "cloister-transport-shutdown");
    try {
      Runtime.getRuntime().addShutdownHook(hook);
      shutdownHook = hook;
    } catch (IllegalStateException shuttingDown) {
      // The JVM is already exiting: nothing left to hook into.
    }
  }

  private void removeShutdownHook() {
    Thread hook = shutdownHook;
    shutdownHook = null;
    if (hook != null && Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run: the JVM is exiting.
      }
    }
  }

  /**
   * A node that stays alone although JGroups holds a connection to another node is usually refused
   * by that node's cluster: say so, since nothing else would tell this node why. The check only
   * reads JGroups' connection table: probing a peer's port would make it log a broken connection.
   */
  private void checkAlone(Vertx vertx, BooleanSupplier active) {
    vertx.<Boolean>executeBlocking(() -> active.getAsBoolean() && cacheManager.getMembers() != null
      && cacheManager.getMembers().size() == 1
      && channel.getProtocolStack().<TCP>findProtocol(TCP.class).getOpenConnections() > 0, false)
      .onSuccess(refused -> {
        if (refused) {
          log.warn(aloneWarning(config.app(), config.clusterSecret() != null));
        }
      });
  }

  /**
   * What a node alone but connected to another node is told.
   *
   * @param app the node's app
   * @param secret whether this node has a clusterSecret
   * @return the warning
   */
  static String aloneWarning(String app, boolean secret) {
    return "This node is alone in its cluster, yet another node is connected to it on the cluster port: "
      + (secret
        ? "nodes whose clusterSecret differs never join each other; check that every node of app '" + app
          + "' has the same clusterSecret"
        : "a node that has a clusterSecret never joins one without (this node has none)")
      + ", and nodes of another app form another cluster.";
  }

  /** Gives TCPPING the seeds: discovery (and MERGE3's checks) contact them from now on. */
  private void seed(List<HostAndPort> seeds) {
    List<InetSocketAddress> hosts = new ArrayList<>();
    for (HostAndPort s : seeds) {
      hosts.add(new InetSocketAddress(s.host(), s.port()));
    }
    if (hosts.isEmpty()) {
      ClusterBinding b = binding;
      hosts.add(new InetSocketAddress(b.host(), b.port()));
    }
    TCPPING ping = channel.getProtocolStack().findProtocol(TCPPING.class);
    ping.setInitialHosts(hosts);
  }

  /**
   * Cloister's rule for a DNS sentry: without {@code clusterHost} (or {@code loopback}), bind to
   * the address of this host that the DNS answer names. Only before the transport starts.
   */
  private void bindToAnswer(List<HostAndPort> seeds) {
    if (config.clusterHost() != null || config.loopback()) {
      return;
    }
    for (HostAndPort s : seeds) {
      try {
        InetAddress a = InetAddress.getByName(s.host());
        if (!a.isLoopbackAddress() && ClusterBinding.isLocal(a) && !a.equals(binding.host())) {
          log.info("Binding the cluster transport to " + a.getHostAddress() + ", this host's address in the DNS answer");
          binding = new ClusterBinding(a, binding.port(), binding.portRange());
          channel.getProtocolStack().<TCP>findProtocol(TCP.class).setBindAddress(a);
          channel.getProtocolStack().<FD_SOCK2>findProtocol(FD_SOCK2.class).setBindAddress(a);
          return;
        }
      } catch (UnknownHostException ignored) {
        // an address from the resolver is always parseable; nothing to bind to otherwise
      }
    }
  }
}
