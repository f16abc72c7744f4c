package dev.cloister.ring;

import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterRing;
import dev.cloister.CloisterStatus;
import dev.cloister.QuorumLossPolicy;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who owns a key, asked of every node of real in-JVM clusters, through the API and the event bus. */
class WhoisTest {

  private static final int KEYS = 10_000;
  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private List<Node> startThree(int consensus) {
    cluster = new InJvmCluster(3);
    List<Node> nodes = List.of(cluster.start(0, cluster.options(0, consensus)),
      cluster.start(1, cluster.options(1, consensus)), cluster.start(2, cluster.options(2, consensus)));
    nodes.forEach(n -> await(n.deployment));
    eventually("three members everywhere", () -> nodes.stream().allMatch(n -> n.state().getMembers().size() == 3
      && n.state().getStatus() == CloisterStatus.READY), () -> nodes.stream().map(Node::state).toList());
    return nodes;
  }

  private static List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      keys.add("user-" + i);
    }
    return keys;
  }

  private static Map<String, String> ownersViaApi(Node n, List<String> keys) {
    Map<String, String> owners = new HashMap<>();
    Cloister c = n.cloister();
    for (String k : keys) {
      owners.put(k, c.whois(k));
    }
    return owners;
  }

  private static Map<String, String> ownersViaEventBus(Node n, List<String> keys) {
    Map<String, String> owners = new HashMap<>();
    for (int from = 0; from < keys.size(); from += 500) {
      List<String> chunk = keys.subList(from, Math.min(keys.size(), from + 500));
      List<Future<Message<JsonObject>>> replies = new ArrayList<>();
      for (String k : chunk) {
        replies.add(n.vertx.eventBus().request("cloister.whois", new JsonObject().put("key", k)));
      }
      await(Future.all(replies));
      for (int i = 0; i < chunk.size(); i++) {
        owners.put(chunk.get(i), replies.get(i).result().body().getString("node"));
      }
    }
    return owners;
  }

  @Test
  void everyNodeNamesTheSameOwnersThroughTheApiAndTheEventBus() {
    List<Node> nodes = startThree(3);
    List<String> keys = keys();
    Map<String, String> reference = ownersViaApi(nodes.get(0), keys);
    for (Node n : nodes) {
      assertEquals(reference, ownersViaApi(n, keys), "API on node " + n.index);
      assertEquals(reference, ownersViaEventBus(n, keys), "event bus from node " + n.index);
    }
    Map<String, Integer> load = new HashMap<>();
    reference.values().forEach(o -> load.merge(o, 1, Integer::sum));
    assertEquals(3, load.size(), "every member owns keys: " + load);
    for (Node n : nodes) {
      long mine = keys.stream().filter(k -> n.cloister().mine(k)).count();
      assertEquals(load.get("node" + n.index).longValue(), mine, "mine() agrees with whois() on node " + n.index);
    }
    JsonObject reply = await(nodes.get(1).vertx.eventBus().<JsonObject>request("cloister.whois",
      new JsonObject().put("key", "user-7").put("group", "cloister"))).body();
    assertEquals(reference.get("user-7"), reply.getString("node"));
    assertEquals("cloister", reply.getString("group"));
    CloisterRing ring = nodes.get(1).state().getRings().get(0);
    assertEquals(ring.getVersion(), reply.getLong("ringVersion"));
    assertEquals(List.of("node0", "node1", "node2"), ring.getMembers());
    eventually("converged on one checksum", () -> nodes.stream().allMatch(n -> n.state().isConverged()),
      () -> nodes.stream().map(n -> n.state().getChecksum()).toList());
  }

  @Test
  void whenANodeLeavesOnlyItsKeysChangeOwner() {
    List<Node> nodes = startThree(2);
    List<String> keys = keys();
    Map<String, String> before = ownersViaApi(nodes.get(0), keys);
    Node leaving = nodes.get(2);
    await(leaving.vertx.undeploy(leaving.deployment.result()));
    List<Node> survivors = nodes.subList(0, 2);
    eventually("two members", () -> survivors.stream().allMatch(n -> n.state().getMembers().size() == 2
      && n.state().getStatus() == CloisterStatus.READY), () -> survivors.stream().map(Node::state).toList());
    Map<String, String> after = ownersViaApi(survivors.get(0), keys);
    assertEquals(after, ownersViaApi(survivors.get(1), keys));
    int moved = 0;
    for (String k : keys) {
      if (before.get(k).equals("node2")) {
        assertNotEquals("node2", after.get(k));
        moved++;
      } else {
        assertEquals(before.get(k), after.get(k), "a key of a node that stayed never moves: " + k);
      }
    }
    assertTrue(moved > 0, "node2 owned keys");
  }

  @Test
  void everyKeyTypeIsAnsweredAlikeOnEveryNode() {
    List<Node> nodes = startThree(3);
    UUID uuid = UUID.fromString("6f1c8f0e-6b8f-4d2f-9a57-2f5b0d3c1e11");
    List<Object> keys = List.of("s", 42, 42L, 3.5, uuid, new byte[]{1, 2, 3}, Buffer.buffer(new byte[]{1, 2, 3}),
      new JsonObject().put("b", 1).put("a", 2), new JsonArray().add(1).add("x"));
    for (Object k : keys) {
      String owner = nodes.get(0).cloister().whois(k);
      for (Node n : nodes) {
        assertEquals(owner, n.cloister().whois(k), k + " on node " + n.index);
      }
    }
    assertEquals(nodes.get(0).cloister().whois(42), nodes.get(0).cloister().whois(42L));
    assertEquals(nodes.get(0).cloister().whois(new byte[]{1, 2, 3}),
      nodes.get(0).cloister().whois(Buffer.buffer(new byte[]{1, 2, 3})));
    assertEquals(nodes.get(0).cloister().whois(new JsonObject().put("a", 2).put("b", 1)),
      nodes.get(1).cloister().whois(new JsonObject().put("b", 1).put("a", 2)), "JSON keys are canonical");
    JsonObject viaBus = await(nodes.get(2).vertx.eventBus().<JsonObject>request("cloister.whois",
      new JsonObject().put("key", new JsonObject().put("b", 1).put("a", 2)))).body();
    assertEquals(nodes.get(0).cloister().whois(new JsonObject().put("a", 2).put("b", 1)), viaBus.getString("node"));
  }

  @Test
  void anyGroupIsAnsweredFromAnyNode() {
    cluster = new InJvmCluster(3);
    Node a = cluster.start(0, cluster.options(0, 3).setGroup("carts"));
    Node b = cluster.start(1, cluster.options(1, 3).setGroup("carts"));
    Node c = cluster.start(2, cluster.options(2, 3).setGroup("orders"));
    List.of(a, b, c).forEach(n -> await(n.deployment));
    eventually("3 members", () -> c.state().getMembers().size() == 3 && a.state().getMembers().size() == 3, () -> "");
    for (int i = 0; i < 200; i++) {
      String key = "k" + i;
      String owner = c.cloister().whois("carts", key);
      assertTrue(owner.equals("node0") || owner.equals("node1"), owner);
      assertEquals(owner, a.cloister().whois(key));
      assertEquals("node2", a.cloister().whois("orders", key));
      assertEquals(c.cloister().mine(key), true);
    }
    assertEquals(2, a.state().getRings().size());
  }

  private static ReplyException failedRequest(Vertx vertx, Object body) {
    Future<Message<Object>> f = vertx.eventBus().request("cloister.whois", body);
    try {
      f.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return assertInstanceOf(ReplyException.class, e);
    }
    throw new AssertionError("expected a failure reply for " + body + ", got " + f.result().body());
  }

  @Test
  void badQuestionsGetTheirErrorAndTheNodeKeepsServing() {
    List<Node> nodes = startThree(3);
    Node n = nodes.get(1);
    Cloister c = n.cloister();
    assertEquals(CloisterException.NOT_FOUND, assertThrows(CloisterException.class, () -> c.whois("nobody", "k")).code());
    assertEquals(CloisterException.BAD_REQUEST, assertThrows(CloisterException.class, () -> c.whois("")).code());
    assertEquals(CloisterException.BAD_REQUEST, assertThrows(CloisterException.class, () -> c.whois(null)).code());
    CloisterException unsupported = assertThrows(CloisterException.class, () -> c.whois(new Object()));
    assertEquals(CloisterException.BAD_REQUEST, unsupported.code());
    assertTrue(unsupported.getMessage().contains("Object"), unsupported.getMessage());

    assertEquals(404, failedRequest(n.vertx, new JsonObject().put("key", "k").put("group", "nobody")).failureCode());
    assertEquals(400, failedRequest(n.vertx, new JsonObject().put("key", "")).failureCode());
    assertEquals(400, failedRequest(n.vertx, new JsonObject()).failureCode());
    assertEquals(400, failedRequest(n.vertx, "not json").failureCode());
    assertEquals(400, failedRequest(n.vertx, Buffer.buffer("{\"key\":1}")).failureCode());
    assertEquals(400, failedRequest(n.vertx, new JsonObject().put("key", "k").put("group", 7)).failureCode());
    assertEquals(400, failedRequest(n.vertx, new JsonArray().add("k")).failureCode());

    assertEquals(CloisterStatus.READY, n.state().getStatus());
    String owner = await(n.vertx.eventBus().<JsonObject>request("cloister.whois",
      new JsonObject().put("key", "still-here"))).body().getString("node");
    assertEquals(c.whois("still-here"), owner);
  }

  @Test
  void belowConsensusProtectRefusesAndKeepServesTheSmallerRing() {
    cluster = new InJvmCluster(2);
    Node keep = cluster.start(0, cluster.options(0, 2));
    eventually("rehashing alone", () -> keep.lastStatus() == CloisterStatus.REHASHING, keep::transitions);
    assertEquals("node0", keep.cloister().whois("k"), "keep: the smaller ring answers");
    await(keep.vertx.close());
    cluster.close();

    cluster = new InJvmCluster(2);
    Node protect = cluster.start(0, cluster.options(0, 2).setQuorumLossPolicy(QuorumLossPolicy.PROTECT));
    eventually("rehashing alone", () -> protect.lastStatus() == CloisterStatus.REHASHING, protect::transitions);
    CloisterException e = assertThrows(CloisterException.class, () -> protect.cloister().whois("k"));
    assertEquals(CloisterException.NO_QUORUM, e.code());
    assertEquals(503, failedRequest(protect.vertx, new JsonObject().put("key", "k")).failureCode());
    Node second = cluster.start(1, cluster.options(1, 2).setQuorumLossPolicy(QuorumLossPolicy.PROTECT));
    await(protect.deployment);
    await(second.deployment);
    assertEquals(protect.cloister().whois("k"), second.cloister().whois("k"), "quorum back: answers again");
  }

  @Test
  void aCloisterThatIsNotStartedIsNotReady() {
    Vertx plain = Vertx.vertx();
    try {
      Cloister c = Cloister.create(plain, new CloisterOptions());
      assertEquals(CloisterException.NO_QUORUM, assertThrows(CloisterException.class, () -> c.whois("k")).code());
      await(c.start());
      assertEquals("cloister@nonode", c.whois("k"));
      assertTrue(c.mine("k"));
    } finally {
      await(plain.close());
    }
  }
}
