package dev.cloister.junit5.internal;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.PhysicalAddress;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Simulates a network partition for fault tests: a JGroups {@link DISCARD} protocol inserted just
 * above the transport drops every message from the chosen members, so this node and they suspect
 * each other exactly as if the network between them were cut. Failure detection (FD_ALL3
 * heartbeats) then splits the view; {@link #heal()} lets traffic through again and MERGE3 merges
 * the views.
 *
 * <p>Only tests and the fault soak use it (in one JVM, or in a node JVM through
 * {@link FaultNodeMain}'s commands); it is not part of the library. FD_SOCK2's own sockets stay
 * connected, which is also what a real partition that keeps TCP connections half-open looks like.
 */
public final class Partitioner {

  private final JChannel channel;
  private final DISCARD discard;

  private Partitioner(JChannel channel, DISCARD discard) {
    this.channel = channel;
    this.discard = discard;
  }

  /**
   * Inserts a (passive) DISCARD into the channel of a clustered Vert.x built on vertx-infinispan.
   *
   * @param vertx a clustered Vert.x whose cluster manager has joined
   * @return the partitioner of that node
   * @throws Exception when the protocol cannot be inserted
   */
  public static Partitioner of(Vertx vertx) throws Exception {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    EmbeddedCacheManager manager = (EmbeddedCacheManager) ((InfinispanClusterManager) cm).getCacheContainer();
    JChannel channel = ((JGroupsTransport) manager.getTransport()).getChannel();
    ProtocolStack stack = channel.getProtocolStack();
    DISCARD discard = stack.findProtocol(DISCARD.class);
    if (discard == null) {
      discard = new DISCARD();
      discard.setAddress(channel.getAddress());
      stack.insertProtocol(discard, ProtocolStack.Position.ABOVE, TP.class);
    }
    return new Partitioner(channel, discard);
  }

  /** @return this node's JGroups address */
  public Address address() {
    return channel.getAddress();
  }

  /**
   * Drops every message from these members from now on.
   *
   * @param members JGroups addresses of the other side
   */
  public void isolateFrom(Collection<Address> members) {
    members.forEach(discard::addIgnoreMember);
  }

  /**
   * Drops every message from the current view's members whose transport is bound to one of
   * {@code hostPorts}.
   *
   * @param hostPorts {@code host:port} of the other side's cluster transports
   * @return the members now ignored
   */
  public List<Address> isolateFromPhysical(Collection<String> hostPorts) {
    List<Address> matched = new ArrayList<>();
    for (Address member : channel.getView().getMembers()) {
      Object physical = channel.down(new Event(Event.GET_PHYSICAL_ADDRESS, member));
      if (physical instanceof PhysicalAddress p && hostPorts.contains(p.printIpAddress())) {
        matched.add(member);
      }
    }
    isolateFrom(matched);
    return matched;
  }

  /** Drops every message to and from any other member: the node looks hung to everyone. */
  public void isolateFromAll() {
    discard.excludeItself(true).discardAll(true);
  }

  /** Lets every message through again. */
  public void heal() {
    discard.discardAll(false);
    discard.resetIgnoredMembers();
  }
}
