package dev.cloister.impl.discovery;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Discovery's one job once the node has joined: re-resolve the DNS sentry every
 * {@code discoveryInterval} and publish each new list on the local address
 * {@code <prefix>.discovery}. The first resolution is not its job: it must happen before the
 * join, so the transport (or the node, on a cluster manager that is not Cloister's) does it.
 */
public final class DiscoveryVerticle extends VerticleBase {

  private final DnsDiscovery discovery;

  /**
   * Wraps a discovery whose first resolution is done or under way.
   *
   * @param discovery the discovery to run
   */
  public DiscoveryVerticle(DnsDiscovery discovery) {
    this.discovery = discovery;
  }

  @Override
  public Future<?> start() {
    discovery.start();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    discovery.close();
    return Future.succeededFuture();
  }
}
