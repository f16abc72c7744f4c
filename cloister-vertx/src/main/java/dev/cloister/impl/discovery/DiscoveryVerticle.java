package dev.cloister.impl.discovery;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Discovery's one job once the node has joined: re-resolve the DNS sentry every
 * {@code discoveryInterval} and publish each new list on the local address
 * {@code <prefix>.discovery}. The first resolution is not its job: it must happen before the
 * join, so Cloister's transport does it before; only on a cluster manager that is not Cloister's,
 * whose discovery is the user's, does this verticle resolve first itself (then only to tell the
 * node who is expected).
 */
public final class DiscoveryVerticle extends VerticleBase {

  private final DnsDiscovery discovery;
  private final boolean resolveFirst;

  /**
   * Wraps a discovery.
   *
   * @param discovery the discovery to run
   * @param resolveFirst whether to resolve at once (else the first resolution is done already)
   */
  public DiscoveryVerticle(DnsDiscovery discovery, boolean resolveFirst) {
    this.discovery = discovery;
    this.resolveFirst = resolveFirst;
  }

  @Override
  public Future<?> start() {
    discovery.start();
    if (resolveFirst) {
      discovery.resolveOnce();
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    discovery.close();
    return Future.succeededFuture();
  }
}
