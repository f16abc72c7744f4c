package dev.cloister.impl;

import dev.cloister.Cloister;
import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.discovery.DiscoveryVerticle;
import dev.cloister.impl.discovery.DnsDiscovery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Follows what a DNS sentry lists, for the node: the transport's discovery publishes it on
 * {@code <prefix>.discovery} (and keeps the latest in its local map, read once at start); on a
 * cluster manager that is not Cloister's, this deploys a discovery verticle of its own (only to
 * know who is expected: that transport's discovery is the user's). Confined to the node's context.
 */
final class DiscoveryWatcher {

  private static final Logger log = LoggerFactory.getLogger(Cloister.class);

  private final Vertx vertx;
  private final NodeConfig config;
  private final Consumer<List<String>> onSeeds;
  private final Supplier<String> label;
  private MessageConsumer<Object> consumer;
  private Future<String> ownDiscovery;
  private boolean warned;
  private boolean listed;

  /**
   * Creates the watcher of one node.
   *
   * @param vertx the node's Vert.x
   * @param config the node's configuration (a DNS sentry)
   * @param onSeeds called with every list of expected {@code host:port}
   * @param label the node's label for logs
   */
  DiscoveryWatcher(Vertx vertx, NodeConfig config, Consumer<List<String>> onSeeds, Supplier<String> label) {
    this.vertx = vertx;
    this.config = config;
    this.onSeeds = onSeeds;
    this.label = label;
  }

  /**
   * Starts following; call on the node's context.
   *
   * @param transportOwnsDiscovery whether the cluster transport resolves the sentry itself
   */
  void start(boolean transportOwnsDiscovery) {
    consumer = vertx.eventBus().localConsumer(config.addressPrefix() + ".discovery", m -> onDiscovery(m.body()));
    onDiscovery(vertx.sharedData().getLocalMap(DnsDiscovery.MAP).get(DnsDiscovery.KEY));
    if (vertx.isClustered() && !transportOwnsDiscovery) {
      DnsDiscovery d = new DnsDiscovery(vertx, config.sentry(), config.dnsServers(), config.discoveryInterval(),
        config.addressPrefix(), seeds -> { });
      ownDiscovery = vertx.deployVerticle(new DiscoveryVerticle(d, true));
    }
  }

  /** @return whether the sentry has listed at least one node so far */
  boolean listed() {
    return listed;
  }

  /** Stops following. */
  void close() {
    if (consumer != null) {
      consumer.unregister();
      consumer = null;
    }
    if (ownDiscovery != null) {
      ownDiscovery.onSuccess(id -> vertx.undeploy(id));
      ownDiscovery = null;
    }
  }

  private void onDiscovery(Object body) {
    if (body == null) {
      return;
    }
    List<String> seeds = new ArrayList<>();
    try {
      JsonObject event = (JsonObject) body;
      if (!config.sentry().dnsName().equals(event.getString("name"))) {
        return;
      }
      for (Object seed : event.getJsonArray("seeds")) {
        seeds.add(HostAndPort.parse((String) seed, config.sentry().defaultPort()).toString());
      }
    } catch (RuntimeException bad) {
      // Anyone in this Vert.x may publish here: what is not a discovery event is ignored, once said.
      if (!warned) {
        warned = true;
        log.warn(label.get() + " ignoring an invalid message on " + config.addressPrefix() + ".discovery: " + bad);
      }
      return;
    }
    listed |= !seeds.isEmpty();
    onSeeds.accept(List.copyOf(seeds));
  }
}
