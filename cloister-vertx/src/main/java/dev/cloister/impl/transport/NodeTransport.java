package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.Transport;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.VERIFY_SUSPECT2;

/**
 * What a node asks of the cluster transport it runs on, whoever built it: whether the transport
 * follows the DNS sentry itself, and how long its failure detection takes. Read from the JGroups
 * channel of any vertx-infinispan cluster manager, so a hand-configured one is judged by its own
 * timings, not by Cloister's.
 *
 * @param ownsDiscovery whether the transport resolves and follows the DNS sentry itself (and
 *     publishes what it finds on {@code <prefix>.discovery}); otherwise the node must do it
 * @param failureDetectionBound how long, at most, failure detection takes to evict an unreachable
 *     node from the view, ms: the default fence of work owned by a node that may be gone
 */
public record NodeTransport(boolean ownsDiscovery, long failureDetectionBound) {

  /**
   * How long failure detection takes at most when the channel cannot be read: FD_ALL3's default
   * timeout (40 s) plus VERIFY_SUSPECT2's (1 s), rounded up. Deliberately long: a too-short bound
   * fails a restarted node whose crashed predecessor still holds its name.
   */
  public static final long UNKNOWN_FAILURE_DETECTION_BOUND = 45_000;

  /** The local map where Cloister's transport says it runs; {@link ClusterTransport} is its only writer. */
  static final String MAP = "__cloister.transport";
  /** Its key there. */
  static final String OWNS_DISCOVERY = "ownsDiscovery";
  /** The key of the options Cloister's transport runs with, as JSON. */
  static final String OPTIONS = "options";

  /**
   * The options of Cloister's transport on a Vert.x, when it runs on one.
   *
   * @param vertx a Vert.x, clustered or not
   * @return a copy of the transport's options as JSON, or {@code null} when this Vert.x does not
   *     run on a {@code CloisterClusterManager}
   */
  public static JsonObject options(Vertx vertx) {
    Object o = vertx.sharedData().getLocalMap(MAP).get(OPTIONS);
    return o instanceof JsonObject json ? json.copy() : null;
  }

  /**
   * How long a node name held by a node still in the view may take to be freed: twice the failure
   * detection bound, so that a node restarted right after a crash takes its name back instead of
   * failing.
   *
   * @return the grace, ms
   */
  public long nameClaimGrace() {
    return 2 * failureDetectionBound;
  }

  /**
   * The transport of a clustered Vert.x.
   *
   * @param vertx a clustered Vert.x
   * @return what its transport does
   */
  public static NodeTransport of(Vertx vertx) {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    boolean owns = Boolean.TRUE.equals(vertx.sharedData().getLocalMap(MAP).get(OWNS_DISCOVERY));
    return new NodeTransport(owns, cm instanceof InfinispanClusterManager icm ? readBound(icm)
      : UNKNOWN_FAILURE_DETECTION_BOUND);
  }

  /**
   * What tells this node who it can hear now: Cloister's {@link LivenessWatch} in the channel, and
   * the window within which a member must have been heard from to count, FD_ALL3's timeout (the
   * silence after which the failure detector suspects it).
   *
   * @param watch the protocol
   * @param windowMs the window, ms
   */
  public record Liveness(LivenessWatch watch, long windowMs) {
  }

  /**
   * The liveness evidence of a clustered Vert.x, when it runs on Cloister's JGroups stack.
   *
   * @param vertx a clustered Vert.x
   * @return the evidence, or {@code null} for a transport without it (a hand-configured stack)
   */
  public static Liveness liveness(Vertx vertx) {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    if (!(cm instanceof InfinispanClusterManager icm)) {
      return null;
    }
    try {
      Transport transport = ((EmbeddedCacheManager) icm.getCacheContainer()).getTransport();
      if (transport instanceof JGroupsTransport jgroups) {
        JChannel channel = jgroups.getChannel();
        LivenessWatch watch = channel.getProtocolStack().findProtocol(LivenessWatch.class);
        FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
        if (watch != null && fd != null) {
          return new Liveness(watch, fd.getTimeout());
        }
      }
    } catch (RuntimeException unreadable) {
      // not started or not JGroups: no evidence beyond the view
    }
    return null;
  }

  /**
   * The failure-detection bound of the JGroups channel the cluster manager runs on, from its
   * FD_ALL3 and VERIFY_SUSPECT2 timings ({@link FailureDetection#bound(long, long, long)}).
   *
   * @param cm a vertx-infinispan cluster manager
   * @return the bound, or {@link #UNKNOWN_FAILURE_DETECTION_BOUND}
   */
  static long readBound(InfinispanClusterManager cm) {
    try {
      Transport transport = ((EmbeddedCacheManager) cm.getCacheContainer()).getTransport();
      if (transport instanceof JGroupsTransport jgroups) {
        JChannel channel = jgroups.getChannel();
        FD_ALL3 fd = channel.getProtocolStack().findProtocol(FD_ALL3.class);
        VERIFY_SUSPECT2 verify = channel.getProtocolStack().findProtocol(VERIFY_SUSPECT2.class);
        if (fd != null) {
          return FailureDetection.bound(fd.getInterval(), fd.getTimeout(), verify == null ? 0 : verify.getTimeout());
        }
      }
    } catch (RuntimeException unreadable) {
      // not started or not JGroups: fall back to the documented bound
    }
    return UNKNOWN_FAILURE_DETECTION_BOUND;
  }
}
