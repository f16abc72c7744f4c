package dev.cloister.cluster;

import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.transport.ClusterTransport;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.cluster.infinispan.InfinispanClusterManager;
import org.infinispan.manager.DefaultCacheManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenarios of assembly, consensus and graceful leave on real clusters in one JVM. */
class AssemblyTest {

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Throwable failureOf(io.vertx.core.Future<?> f) {
    try {
      f.await(60, TimeUnit.SECONDS);
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure, got " + f.result());
  }

  @Test
  void consensusThreeKeepsTwoNodesPendingUntilTheThirdCompletesAll() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 3));
    Node b = cluster.start(1, cluster.options(1, 3));
    eventually("two nodes see each other", () -> a.lastStatus() == CloisterStatus.REHASHING
      && a.states.get(a.states.size() - 1).getMembers().size() == 2, a::transitions);
    assertFalse(a.deployment.isComplete(), "a waits for consensus");
    assertFalse(b.deployment.isComplete(), "b waits for consensus");
    CloisterState waiting = a.state();
    assertFalse(waiting.isQuorate());
    assertEquals(List.of(cluster.sentry().get(2)), waiting.getMissing(), "the third sentry is missing");

    Node c = cluster.start(2, cluster.options(2, 3));
    for (Node n : List.of(a, b, c)) {
      await(n.deployment);
    }
    for (Node n : List.of(a, b, c)) {
      CloisterState s = n.state();
      assertEquals(CloisterStatus.READY, s.getStatus());
      assertTrue(s.isQuorate());
      assertEquals(List.of("node0", "node1", "node2"), s.memberNames());
      assertEquals("node0", s.getSentry(), "the oldest member is the sentry on every node");
      assertEquals(List.of(), s.getMissing());
    }
    eventually("every node reports the same checksum", () -> a.state().isConverged() && b.state().isConverged()
      && c.state().isConverged(), () -> List.of(a.state(), b.state(), c.state()));
    assertEquals(a.state().getChecksum(), c.state().getChecksum());
  }

  @Test
  void anUndeployedNodeMakesTheSurvivorsRehashAndReturnToReady() {
    cluster = new InJvmCluster(3);
    List<Node> nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)),
      cluster.start(2, cluster.options(2, 2)));
    nodes.forEach(n -> await(n.deployment));
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    // READY on three, not only three members listed: a REHASHING -> READY still to come would be
    // counted as the reaction to the leave.
    eventually("all three seen", () -> List.of(a, b).stream().allMatch(n -> n.state().getStatus() == CloisterStatus.READY
        && n.state().getMembers().size() == 3), () -> List.of(a.state(), b.state()));
    int aBefore = a.transitions.size();
    int bBefore = b.transitions.size();

    Node leaving = nodes.get(2);
    await(leaving.vertx.undeploy(await(leaving.deployment)));
    assertEquals(List.of("READY->STOPPING", "STOPPING->STOPPED"),
      leaving.transitions.subList(leaving.transitions.size() - 2, leaving.transitions.size()));

    for (Node n : List.of(a, b)) {
      int before = n == a ? aBefore : bBefore;
      eventually(n.index + " rehashed to two members", () -> n.state().getStatus() == CloisterStatus.READY
        && n.state().getMembers().size() == 2, n::transitions);
      assertEquals(List.of("READY->REHASHING", "REHASHING->READY"), n.transitions.subList(before, before + 2));
      CloisterState rehashing = n.states.get(before);
      assertEquals(List.of("node0", "node1"), rehashing.memberNames(), "REHASHING already shows the new members");
      assertEquals(List.of("node0", "node1"), n.state().memberNames());
    }
  }

  @Test
  void listenersSeeEveryTransitionInOrderAndTheStateAddressCarriesTheSame() {
    cluster = new InJvmCluster(1);
    List<String> published = new CopyOnWriteArrayList<>();
    List<String> secondListener = new CopyOnWriteArrayList<>();
    Node n = cluster.start(0, cluster.options(0, 1), node -> node.vertx.eventBus().<JsonObject>localConsumer(
      "cloister.state", m -> published.add(m.body().getString("from") + "->" + m.body().getString("to"))));
    await(n.deployment);
    Cloister cloister = n.cloister();
    assertSame(cloister, Cloister.of(n.vertx));
    await(n.vertx.undeploy(n.deployment.result()));
    List<String> expected = List.of("DOWN->ASSEMBLING", "ASSEMBLING->REHASHING", "REHASHING->READY",
      "READY->STOPPING", "STOPPING->STOPPED");
    assertEquals(expected, n.transitions);
    eventually("every transition published", () -> published.size() == expected.size(), () -> published);
    assertEquals(expected, published);
    assertThrows(IllegalStateException.class, () -> Cloister.of(n.vertx), "no Cloister after the stop");

    // A listener that throws is skipped; the others and the machine go on.
    Vertx plain = Vertx.vertx();
    try {
      Cloister alone = Cloister.create(plain, new CloisterOptions().setNodeName("solo"))
        .listener((from, to, state) -> {
          throw new IllegalStateException("listener bug");
        })
        .listener((from, to, state) -> secondListener.add(from + "->" + to));
      CloisterState s = await(alone.start());
      assertEquals(CloisterStatus.NONODE, s.getStatus());
      assertEquals(List.of("DOWN->ASSEMBLING", "ASSEMBLING->REHASHING", "REHASHING->NONODE"), secondListener);
      await(alone.close());
      assertEquals("STOPPING->STOPPED", secondListener.get(secondListener.size() - 1));
    } finally {
      await(plain.close());
    }
  }

  @Test
  void aLiveNodeNameIsNeverTakenTwice() {
    cluster = new InJvmCluster(2);
    Node a = cluster.start(0, cluster.options(0, 1));
    await(a.deployment);
    Node impostor = cluster.start(1, cluster.options(1, 1).setNodeName("node0"));
    Throwable failure = failureOf(impostor.deployment);
    CloisterException e = assertInstanceOf(CloisterException.class, failure);
    assertEquals(CloisterException.CONFLICT, e.code());
    assertTrue(e.getMessage().contains("node0"), e.getMessage());
    assertEquals(List.of("node0"), a.state().memberNames(), "the holder keeps its name and its record");
    assertEquals(CloisterStatus.READY, a.state().getStatus());
  }

  @Test
  void startTimeoutFailsNamingTheMembersSeenAndTheSentriesMissing() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 3).setStartTimeout(1500));
    Throwable failure = failureOf(a.deployment);
    CloisterException e = assertInstanceOf(CloisterException.class, failure);
    assertEquals(CloisterException.TIMEOUT, e.code());
    assertTrue(e.getMessage().contains("members seen [node0]"), e.getMessage());
    assertTrue(e.getMessage().contains(cluster.sentry().get(1)) && e.getMessage().contains(cluster.sentry().get(2)),
      e.getMessage());
    assertEquals(CloisterStatus.STOPPED, a.lastStatus());
    assertThrows(IllegalStateException.class, () -> Cloister.of(a.vertx));
  }

  @Test
  void aPlainVertxIsARingOfOneOnlyWithConsensusOne() {
    Vertx plain = Vertx.vertx();
    try {
      String id = await(plain.deployVerticle(new CloisterVerticle(new CloisterOptions().setApp("dev"))));
      CloisterState s = Cloister.of(plain).state();
      assertEquals(CloisterStatus.NONODE, s.getStatus());
      assertTrue(s.isQuorate());
      assertEquals(List.of("dev@nonode"), s.memberNames());
      assertEquals(List.of("dev@nonode"), Cloister.of(plain).siblings());
      await(plain.undeploy(id));

      Throwable failure = failureOf(plain.deployVerticle(new CloisterVerticle(new CloisterOptions().setConsensus(2))));
      assertTrue(failure.getMessage().contains("consensus") && failure.getMessage().contains("not clustered"),
        failure.getMessage());
    } finally {
      await(plain.close());
    }
  }

  @Test
  void invalidOptionsFailTheDeploymentAtOnceNamingTheOption() {
    Vertx plain = Vertx.vertx();
    try {
      Throwable fromCode = failureOf(plain.deployVerticle(new CloisterVerticle(new CloisterOptions().setConsensus(0))));
      assertTrue(fromCode.getMessage().contains("consensus = 0"), fromCode.getMessage());

      Throwable fromConfig = failureOf(plain.deployVerticle(CloisterVerticle.class.getName(),
        new DeploymentOptions().setConfig(new JsonObject().put("startTimeout", -5))));
      assertTrue(fromConfig.getMessage().contains("startTimeout") && fromConfig.getMessage().contains("-5"),
        fromConfig.getMessage());

      Throwable typo = failureOf(plain.deployVerticle(CloisterVerticle.class.getName(),
        new DeploymentOptions().setConfig(new JsonObject().put("consensuss", 2))));
      assertTrue(typo.getMessage().contains("consensuss"), typo.getMessage());

      Throwable listener = failureOf(plain.deployVerticle(new CloisterVerticle(
        new CloisterOptions().setListener("no.such.Listener"))));
      assertTrue(listener.getMessage().contains("listener") && listener.getMessage().contains("no.such.Listener"),
        listener.getMessage());

      assertThrows(IllegalStateException.class, () -> Cloister.of(plain), "nothing was left running");
    } finally {
      await(plain.close());
    }
  }

  @Test
  void oneVertxRunsOneCloister() {
    Vertx plain = Vertx.vertx();
    try {
      await(plain.deployVerticle(new CloisterVerticle(new CloisterOptions())));
      Throwable second = failureOf(plain.deployVerticle(new CloisterVerticle(new CloisterOptions())));
      assertTrue(second.getMessage().contains("already running"), second.getMessage());
      assertEquals(CloisterStatus.NONODE, Cloister.of(plain).state().getStatus(), "the first one is untouched");
    } finally {
      await(plain.close());
    }
  }

  @Test
  void groupsShareOneConsensusAndSiblingsAreTheOwnGroup() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 3).setGroup("carts"));
    Node b = cluster.start(1, cluster.options(1, 3).setGroup("carts"));
    Node c = cluster.start(2, cluster.options(2, 3).setGroup("orders"));
    List.of(a, b, c).forEach(n -> await(n.deployment));
    assertEquals(List.of("node0", "node1"), a.cloister().siblings());
    assertEquals(List.of("node2"), c.cloister().siblings());
    assertEquals(List.of("node0", "node1"), await(b.cloister().siblingsRefreshed()));
    assertEquals(3, a.cloister().consensus());
    assertEquals(List.of("node0", "node1"), c.state().groups().get("carts"));
    assertEquals(List.of("node2"), a.state().groups().get("orders"));
  }

  @Test
  void nodesOfAnotherAppAreNeverMembers() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 2));
    // Same transport (so the same JGroups cluster), another app on top of it: only a cluster manager
    // the user configured can do that, as Cloister's own refuses a node whose app differs from its.
    DefaultCacheManager shared = ClusterTransport.build(NodeConfig.of(cluster.options(1, 1))).cacheManager();
    shared.start();
    Node other = cluster.start(1, new InfinispanClusterManager(shared), cluster.options(1, 1).setApp("billing"), n -> { });
    await(other.deployment);
    eventually("the other app's node is in the view", () -> a.vertx.isClustered()
      && ((io.vertx.core.internal.VertxInternal) a.vertx).clusterManager().getNodes().size() == 2, () -> "");
    assertFalse(a.deployment.isComplete(), "a billing node does not make a cloister quorate");
    assertEquals(List.of("node0"), a.state().memberNames());
    Node b = cluster.start(2, cluster.options(2, 2));
    await(a.deployment);
    await(b.deployment);
    assertEquals(List.of("node0", "node2"), a.state().memberNames());
    assertEquals(List.of("node1"), other.state().memberNames());
  }

  @Test
  void anEmbeddedCloisterStartsAndLeavesWithoutAVerticle() {
    cluster = new InJvmCluster(2);
    Node a = cluster.start(0, cluster.options(0, 2));
    Vertx vb = await(Vertx.builder().withClusterManager(
      new dev.cloister.CloisterClusterManager(cluster.options(1, 2))).buildClustered());
    try {
      Cloister embedded = Cloister.create(vb, cluster.options(1, 2));
      CloisterState ready = await(embedded.start());
      assertEquals(CloisterStatus.READY, ready.getStatus());
      assertNotNull(await(a.deployment));
      await(embedded.close());
      assertEquals(CloisterStatus.STOPPED, embedded.state().getStatus());
      eventually("a falls below consensus", () -> a.state().getStatus() == CloisterStatus.REHASHING
        && !a.state().isQuorate(), a::transitions);
    } finally {
      await(vb.close());
    }
  }
}
