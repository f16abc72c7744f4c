package dev.cloister.cluster;

import dev.cloister.Cloister;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import dev.cloister.testing.TestPorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.context.Flag;
import org.infinispan.configuration.parsing.ConfigurationBuilderHolder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The assembly scenarios on Vert.x instances whose plain {@link InfinispanClusterManager} the user
 * configured by hand: their own JGroups stack and their own {@code DefaultCacheManager} with the
 * caches vertx-infinispan needs, and {@link CloisterVerticle} deployed on it.
 */
class HandConfiguredManagerTest {

  private static final String CLUSTER = "hand-configured";

  /** One node: the user's cache manager, the Vert.x on it, what its listener saw. */
  private static final class Node {
    final String name;
    final DefaultCacheManager cacheManager;
    final Vertx vertx;
    final List<String> transitions = new CopyOnWriteArrayList<>();
    final List<CloisterState> states = new CopyOnWriteArrayList<>();
    Future<String> deployment;

    Node(String name, DefaultCacheManager cacheManager, Vertx vertx) {
      this.name = name;
      this.cacheManager = cacheManager;
      this.vertx = vertx;
    }

    CloisterState state() {
      return Cloister.of(vertx).state();
    }
  }

  private final List<Integer> ports = TestPorts.block(3);
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (Node n : nodes) {
      try {
        n.vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // a node whose transport was closed under it may not close cleanly
      }
      // A cache manager the user made is the user's to stop, after Vert.x: its ports stay bound otherwise.
      n.cacheManager.stop();
    }
  }

  /** A JGroups TCP stack as a user might write it: loopback, static discovery of the three ports. */
  private JChannel channel(int index) throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    TCP tcp = new TCP();
    tcp.setBindAddress(loopback);
    tcp.setBindPort(ports.get(index));
    tcp.setPortRange(0);
    tcp.tcpNodelay(true);
    if (tcp.getDiagnosticsHandler() != null) {
      tcp.getDiagnosticsHandler().setEnabled(false);
    }
    TCPPING ping = new TCPPING();
    List<InetSocketAddress> hosts = new ArrayList<>();
    ports.forEach(p -> hosts.add(new InetSocketAddress(loopback, p)));
    ping.setInitialHosts(hosts);
    ping.setPortRange(0);
    FD_SOCK2 fdSock = new FD_SOCK2().setBindAddress(loopback);
    NAKACK2 nakack = new NAKACK2();
    nakack.setValue("use_mcast_xmit", false);
    GMS gms = new GMS().setJoinTimeout(1000);
    gms.setValue("print_local_addr", false);
    return new JChannel(tcp, ping, new MERGE3(), fdSock, new FD_ALL3(), new VERIFY_SUSPECT2(), new BARRIER(), nakack,
      new UNICAST3(), new STABLE(), gms, new UFC(), new MFC(), new FRAG4());
  }

  /** The user's cache manager, with the caches vertx-infinispan expects to find defined. */
  private DefaultCacheManager cacheManager(int index) throws Exception {
    ConfigurationBuilderHolder holder = new ConfigurationBuilderHolder(getClass().getClassLoader());
    GlobalConfigurationBuilder global = holder.getGlobalConfigurationBuilder();
    global.transport().transport(new JGroupsTransport(channel(index))).clusterName(CLUSTER);
    global.jmx().enabled(false);
    for (String name : List.of("__vertx.subs", "__vertx.haInfo", "__vertx.nodeInfo")) {
      holder.newConfigurationBuilder(name).clustering().cacheMode(CacheMode.REPL_SYNC);
    }
    holder.newConfigurationBuilder("__vertx.distributed.cache.configuration").template(true)
      .clustering().cacheMode(CacheMode.DIST_SYNC);
    return new DefaultCacheManager(holder, true);
  }

  private Node start(int index, int consensus) throws Exception {
    DefaultCacheManager cacheManager = cacheManager(index);
    Vertx vertx = await(Vertx.builder().withClusterManager(new InfinispanClusterManager(cacheManager)).buildClustered());
    Node node = new Node("node" + index, cacheManager, vertx);
    nodes.add(node);
    List<String> sentry = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    CloisterOptions options = new CloisterOptions().setApp(CLUSTER).setNodeName(node.name).setConsensus(consensus)
      .setSentry(sentry);
    CloisterListener recorder = (from, to, state) -> {
      node.transitions.add(from + "->" + to);
      node.states.add(state);
    };
    node.deployment = vertx.deployVerticle(new CloisterVerticle(options, recorder));
    return node;
  }

  private static boolean readyOn(Node n, List<String> members) {
    try {
      CloisterState s = n.state();
      return s.getStatus() == CloisterStatus.READY && s.memberNames().equals(members);
    } catch (IllegalStateException notStarted) {
      return false;
    }
  }

  @Test
  void threeNodesWithConsensusTwoAssembleAndRehashWhenOneCloses() throws Exception {
    Node a = start(0, 2);
    Node b = start(1, 2);
    await(a.deployment);
    await(b.deployment);
    assertTrue(a.state().isQuorate());
    assertEquals(List.of("node0", "node1"), a.state().memberNames());

    Node c = start(2, 2);
    await(c.deployment);
    for (Node n : nodes) {
      eventually(n.name + " READY on three", () -> readyOn(n, List.of("node0", "node1", "node2")), () -> n.transitions);
    }
    eventually("one ring everywhere", () -> nodes.stream().allMatch(n -> n.state().isConverged()),
      () -> nodes.stream().map(Node::state).toList());
    assertEquals("node0", c.state().getSentry(), "the oldest member is the sentry");
    assertEquals(a.state().getChecksum(), c.state().getChecksum());
    assertEquals(Cloister.of(a.vertx).whois("user:42"), Cloister.of(c.vertx).whois("user:42"),
      "every node names the same owner");

    // Graceful: the leaver's record goes first, so the others rehash without failure detection.
    int markA = a.transitions.size();
    nodes.remove(c);
    await(c.vertx.close());
    c.cacheManager.stop();
    for (Node n : List.of(a, b)) {
      eventually(n.name + " READY on two", () -> readyOn(n, List.of("node0", "node1")), () -> n.transitions);
    }
    List<String> after = a.transitions.subList(markA, a.transitions.size());
    assertEquals("READY->REHASHING", after.get(0), "a visible rehash barrier: " + after);
    assertTrue(after.contains("REHASHING->READY"), after.toString());
  }

  @Test
  void aNodeThatVanishesWithoutLeavingIsPurgedByTheSurvivors() throws Exception {
    Node a = start(0, 2);
    Node b = start(1, 2);
    Node c = start(2, 2);
    for (Node n : nodes) {
      await(n.deployment);
      eventually(n.name + " READY on three", () -> readyOn(n, List.of("node0", "node1", "node2")), () -> n.transitions);
    }

    String node2Record = (String) a.cacheManager.getCache("__cloister.members").get("node2");
    // Crash-like: node2's transport goes away under Cloister, which never removes its record.
    JChannel channel = ((JGroupsTransport) c.cacheManager.getTransport()).getChannel();
    channel.close();

    List<Node> survivors = List.of(a, b);
    for (Node n : survivors) {
      eventually(n.name + " READY on two", () -> readyOn(n, List.of("node0", "node1")), () -> n.transitions);
      assertTrue(n.state().isQuorate());
      assertFalse(n.state().memberNames().contains("node2"));
    }
    eventually("node2's record purged from every survivor's replica",
      () -> survivors.stream().allMatch(n -> !n.cacheManager.getCache("__cloister.members").containsKey("node2")),
      () -> survivors.stream().map(n -> n.name + " " + n.cacheManager.getCache("__cloister.members").keySet()).toList());

    // A write node2 had in flight, applied late to one replica only (not the key's primary owner's,
    // which alone decides a conditional removal): that survivor still purges it from its replica.
    Node backup = survivors.stream().filter(n -> !n.cacheManager.getCache("__cloister.members").getAdvancedCache()
      .getDistributionManager().getCacheTopology().getDistribution("node2").isPrimary()).findFirst().orElseThrow();
    backup.cacheManager.<String, String>getCache("__cloister.members").getAdvancedCache()
      .withFlags(Flag.CACHE_MODE_LOCAL).put("node2", node2Record);
    eventually("the late record purged from every survivor's replica",
      () -> survivors.stream().noneMatch(n -> n.cacheManager.getCache("__cloister.members").getAdvancedCache()
        .withFlags(Flag.CACHE_MODE_LOCAL).containsKey("node2")),
      () -> survivors.stream().map(n -> n.name + " " + n.cacheManager.getCache("__cloister.members")
        .getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL).keySet()).toList());
    for (Node n : survivors) {
      assertEquals(List.of("node0", "node1"), n.state().memberNames());
    }
  }
}
