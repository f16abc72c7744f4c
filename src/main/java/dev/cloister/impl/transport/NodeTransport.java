package dev.cloister.impl.transport;

import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.Transport;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.VERIFY_SUSPECT2;

/**
 * What a node asks of the cluster transport it runs on, whoever built it: Cloister's own cluster
 * manager answers from its stack, a hand-configured {@link InfinispanClusterManager} from its
 * JGroups channel where that can be read.
 */
public interface NodeTransport {

  /**
   * How long failure detection takes at most when the channel cannot be read: FD_ALL3's default
   * timeout (40 s) plus VERIFY_SUSPECT2's (1 s), rounded up. Deliberately long: a too-short bound
   * fails a restarted node whose crashed predecessor still holds its name.
   */
  long UNKNOWN_FAILURE_DETECTION_BOUND = 45_000;

  /**
   * Whether the transport resolves and follows the DNS sentry itself (and publishes what it
   * finds on {@code <prefix>.discovery}); otherwise the node must do it.
   *
   * @return true for Cloister's own transport
   */
  boolean ownsDiscovery();

  /**
   * How long, at most, failure detection takes to evict an unreachable node from the view, ms.
   *
   * @return the bound
   */
  long failureDetectionBound();

  /**
   * How long a node name held by a node still in the view may take to be freed: twice the failure
   * detection bound, so that a node restarted right after a crash takes its name back instead of
   * failing.
   *
   * @return the grace, ms
   */
  default long nameClaimGrace() {
    return 2 * failureDetectionBound();
  }

  /**
   * The transport facts of a cluster manager.
   *
   * @param cm the cluster manager of the node's Vert.x
   * @return its facts: its own answer when it is Cloister's, else read from its channel
   */
  static NodeTransport of(ClusterManager cm) {
    if (cm instanceof NodeTransport own) {
      return own;
    }
    long bound = cm instanceof InfinispanClusterManager icm ? readBound(icm) : UNKNOWN_FAILURE_DETECTION_BOUND;
    return new NodeTransport() {
      @Override
      public boolean ownsDiscovery() {
        return false;
      }

      @Override
      public long failureDetectionBound() {
        return bound;
      }
    };
  }

  /** FD_ALL3's timeout plus VERIFY_SUSPECT2's, when the cluster manager runs on a reachable JGroups channel. */
  private static long readBound(InfinispanClusterManager cm) {
    try {
      Transport transport = ((EmbeddedCacheManager) cm.getCacheContainer()).getTransport();
      if (transport instanceof JGroupsTransport jgroups) {
        JChannel channel = jgroups.getChannel();
        FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
        VERIFY_SUSPECT2 verify = channel.getProtocolStack().findProtocol(VERIFY_SUSPECT2.class);
        if (fd != null) {
          return fd.getTimeout() + (verify == null ? 0 : verify.getTimeout());
        }
      }
    } catch (RuntimeException unreadable) {
      // not started or not JGroups: fall back to the documented bound
    }
    return UNKNOWN_FAILURE_DETECTION_BOUND;
  }
}
