package dev.cloister;

import dev.cloister.impl.discovery.DnsDiscovery;
import dev.cloister.impl.discovery.HostAndPort;
import dev.cloister.impl.discovery.Sentry;
import dev.cloister.impl.transport.CacheManagers;
import dev.cloister.impl.transport.ClusterBinding;
import dev.cloister.impl.transport.ClusterSecret;
import dev.cloister.impl.transport.JGroupsStack;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.DefaultCacheManager;
import io.vertx.core.Future;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;

import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.event.MergeEvent;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The vertx-infinispan cluster manager on the JGroups stack that Cloister builds from its options:
 * TCP bound to {@code clusterHost}/{@code clusterPort}, discovery seeded from the sentry, failure
 * detection tuned to notice a crashed node in under a second.
 *
 * <pre>{@code
 * Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered()
 * }</pre>
 *
 * <p>With a DNS sentry, the name is resolved before the node joins (and the transport binds to
 * the local address found in the answer unless {@code clusterHost} says otherwise), then
 * re-resolved every {@code discoveryInterval} for the node's whole life: new addresses are
 * contacted without a restart.
 */
public class CloisterClusterManager extends InfinispanClusterManager {

  private static final Logger log = LoggerFactory.getLogger(CloisterClusterManager.class);
  /** When to write this node's subscriptions back a second time after a merge, ms. */
  private static final long RESUBSCRIBE_AGAIN_DELAY = 3000;
  /** How long after joining a node that is still alone checks whether seeds answer. */
  private static final long ALONE_CHECK_DELAY = 3000;

  private final DefaultCacheManager cacheManager;
  private final CloisterOptions options;
  private final Sentry sentry;
  private final JChannel channel;
  private ClusterBinding binding;
  private Vertx vertx;
  private DnsDiscovery discovery;
  private ContextInternal resubscriber;
  private final Map<String, Set<RegistrationInfo>> registrations = new ConcurrentHashMap<>();
  private final MergeWatcher mergeWatcher = new MergeWatcher();
  private volatile RegistrationListener registrationListener;

  /** Creates a cluster manager configured by the {@code CLOISTER_*} environment variables (containers). */
  public CloisterClusterManager() {
    this(CloisterOptions.fromEnvironment());
  }

  /**
   * Creates a cluster manager for {@code options}.
   *
   * @param options the node's options; validated here
   * @throws IllegalArgumentException naming an invalid option
   */
  public CloisterClusterManager(CloisterOptions options) {
    this(Prepared.of(new CloisterOptions(options).validate()));
  }

  private CloisterClusterManager(Prepared prepared) {
    super(prepared.cacheManager);
    this.cacheManager = prepared.cacheManager;
    this.options = prepared.options;
    this.binding = prepared.binding;
    this.sentry = prepared.sentry;
    this.channel = prepared.channel;
  }

  /** What the constructor computes before the superclass needs the cache manager. */
  private record Prepared(CloisterOptions options, Sentry sentry, ClusterBinding binding, JChannel channel,
                          DefaultCacheManager cacheManager) {
    static Prepared of(CloisterOptions options) {
      Sentry sentry = Sentry.parse(options.getSentry(), portOf(options));
      ClusterBinding binding = ClusterBinding.choose(options, sentry);
      List<InetSocketAddress> seeds = new ArrayList<>();
      for (HostAndPort seed : sentry.staticSeeds()) {
        seeds.add(new InetSocketAddress(seed.host(), seed.port()));
      }
      try {
        JChannel channel = JGroupsStack.channel(binding, seeds, options.getClusterSecret() == null ? null
          : ClusterSecret.key(options.getClusterSecret(), options.getApp()));
        return new Prepared(options, sentry, binding, channel, CacheManagers.create(channel, "cloister-" + options.getApp()));
      } catch (Exception e) {
        throw new IllegalStateException("Cannot build the cluster transport on " + binding.host().getHostAddress()
          + ":" + binding.port() + ": " + e.getMessage(), e);
      }
    }

    private static int portOf(CloisterOptions options) {
      return options.getClusterPort() == 0 ? CloisterOptions.DEFAULT_CLUSTER_PORT : options.getClusterPort();
    }
  }

  /**
   * The options this cluster manager was built from.
   *
   * @return a copy of the options
   */
  public CloisterOptions options() {
    return new CloisterOptions(options);
  }

  @Override
  public void init(Vertx vertx) {
    super.init(vertx);
    this.vertx = vertx;
    this.resubscriber = ((VertxInternal) vertx).createEventLoopContext();
  }

  @Override
  public synchronized void registrationListener(RegistrationListener listener) {
    super.registrationListener(listener);
    this.registrationListener = listener;
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    registrations.computeIfAbsent(address, a -> ConcurrentHashMap.newKeySet()).add(info);
    super.addRegistration(address, info, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    registrations.computeIfPresent(address, (a, infos) -> {
      infos.remove(info);
      return infos.isEmpty() ? null : infos;
    });
    super.removeRegistration(address, info, promise);
  }

  /**
   * When split views merge, each side's replicas of the event-bus subscriptions and node-info
   * caches lack what the other side removed while it thought those nodes gone, and
   * vertx-infinispan does not reconcile them: requests to a consumer that lives only on the other
   * side fail with NO_HANDLERS, and replies to a node whose event-bus address was removed never
   * arrive. Each node therefore writes its own node info and registrations back, once at the merge and once after the rebalance has settled
   * (adding a registration that is already there changes nothing), and tells its event bus that
   * the registrations it cached are lost, so that the next send reads them anew: a re-added
   * registration that was already in the primary copy fires no update anywhere.
   */
  @Listener(sync = false)
  public final class MergeWatcher {
    /** @param e the merge */
    @Merged
    public void merged(MergeEvent e) {
      resubscriber.runOnContext(v -> resubscribe());
      resubscriber.setTimer(RESUBSCRIBE_AGAIN_DELAY, id -> resubscribe());
    }
  }

  private void resubscribe() {
    if (!isActive()) {
      return;
    }
    io.vertx.core.spi.cluster.NodeInfo self = getNodeInfo();
    if (self != null) {
      setNodeInfo(self, (v, err) -> {
        if (err != null) {
          log.warn("Cannot restore this node's event-bus address after a merge: " + err.getMessage());
        }
      });
    }
    int[] count = {0};
    registrations.forEach((address, infos) -> infos.forEach(info -> {
      count[0]++;
      super.addRegistration(address, info, (v, err) -> {
        if (err != null) {
          log.warn("Cannot restore the subscription to " + address + " after a merge: " + err.getMessage());
        }
      });
    }));
    RegistrationListener listener = registrationListener;
    if (listener != null) {
      listener.registrationsLost();
    }
    log.info("Restored this node's event-bus address and " + count[0] + " subscriptions after a merge");
  }

  @Override
  public void join(Completable<Void> promise) {
    Future<Void> discovered = Future.succeededFuture();
    if (sentry.isDns()) {
      List<HostAndPort> servers = new ArrayList<>();
      options.getDnsServers().forEach(s -> servers.add(HostAndPort.parse(s, 53)));
      discovery = new DnsDiscovery(vertx, sentry, servers, options.getDiscoveryInterval(), options.getAddressPrefix(),
        this::seed);
      discovered = discovery.resolveOnce().map(seeds -> {
        bindToAnswer(seeds);
        seed(seeds);
        return null;
      });
    }
    discovered.compose(x -> vertx.<Void>executeBlocking(() -> {
      cacheManager.start();
      return null;
    }, false)).onComplete((v, err) -> {
      if (err != null) {
        promise.fail(new IllegalStateException("Cannot join the cluster from " + binding.host().getHostAddress()
          + ":" + binding.port() + " (port range " + binding.portRange() + "): " + err.getMessage(), err));
      } else {
        super.join((v2, err2) -> {
          if (err2 == null && discovery != null) {
            discovery.start();
          }
          if (err2 == null) {
            cacheManager.addListener(mergeWatcher);
            vertx.setTimer(ALONE_CHECK_DELAY, id -> checkAlone());
          }
          promise.complete(v2, err2);
        });
      }
    });
  }

  /**
   * A node that stays alone while a seed accepts connections on its cluster port is usually
   * refused by that cluster: say so, since nothing else would tell this node why.
   */
  private void checkAlone() {
    vertx.<String>executeBlocking(() -> {
      if (!isActive() || cacheManager.getMembers() == null || cacheManager.getMembers().size() != 1) {
        return null;
      }
      TCPPING ping = channel.getProtocolStack().findProtocol(TCPPING.class);
      for (org.jgroups.PhysicalAddress seed : ping.getInitialHosts()) {
        org.jgroups.stack.IpAddress ip = (org.jgroups.stack.IpAddress) seed;
        if (ip.getIpAddress().equals(binding.host()) && ip.getPort() == binding.port()) {
          continue;
        }
        try (java.net.Socket s = new java.net.Socket()) {
          s.connect(new InetSocketAddress(ip.getIpAddress(), ip.getPort()), 300);
          return ip.toString();
        } catch (java.io.IOException closed) {
          // nobody there: being alone is expected
        }
      }
      return null;
    }, false).onSuccess(answering -> {
      if (answering != null) {
        log.warn("This node is alone in its cluster, yet " + answering + " accepts connections on its cluster port: "
          + "nodes whose clusterSecret differs (or is missing on one side) never join each other, and nodes of "
          + "another app form another cluster. Check that every node of app '" + options.getApp()
          + "' has the same clusterSecret.");
      }
    });
  }

  /** Gives TCPPING the seeds: discovery (and MERGE3's checks) contact them from now on. */
  private void seed(List<HostAndPort> seeds) {
    List<InetSocketAddress> hosts = new ArrayList<>();
    for (HostAndPort s : seeds) {
      hosts.add(new InetSocketAddress(s.host(), s.port()));
    }
    if (hosts.isEmpty()) {
      hosts.add(new InetSocketAddress(binding.host(), binding.port()));
    }
    TCPPING ping = channel.getProtocolStack().findProtocol(TCPPING.class);
    ping.setInitialHosts(hosts);
  }

  /**
   * Cloister's rule for a DNS sentry: without {@code clusterHost} (or {@code loopback}), bind to
   * the address of this host that the DNS answer names. Only before the transport starts.
   */
  private void bindToAnswer(List<HostAndPort> seeds) {
    if (options.getClusterHost() != null || options.isLoopback()) {
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

  @Override
  public void leave(Completable<Void> promise) {
    if (discovery != null) {
      discovery.close();
      discovery = null;
    }
    cacheManager.removeListener(mergeWatcher);
    super.leave((v, err) -> vertx.<Void>executeBlocking(() -> {
      cacheManager.stop();
      return null;
    }, false).onComplete((v2, err2) -> promise.complete(null, err != null ? err : err2)));
  }
}
