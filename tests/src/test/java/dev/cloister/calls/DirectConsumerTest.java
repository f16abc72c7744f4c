package dev.cloister.calls;

import dev.cloister.CallOptions;
import dev.cloister.CloisterException;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumers registered through Cloister: a {@code multicall} reaches them on their node-scoped
 * alias with no relay (each reply names the address the message arrived on), plain consumers
 * still through the inbox; failures keep their codes, and unregistering removes both addresses.
 */
class DirectConsumerTest {

  private static final List<String> NAMES = List.of("node0", "node1", "node2");
  private static InJvmCluster cluster;
  private static List<Node> nodes;
  private static final List<MessageConsumer<Object>> direct = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = new InJvmCluster(3);
    for (int i = 0; i < 3; i++) {
      cluster.start(i, cluster.options(i, 3));
    }
    nodes = cluster.nodes();
    nodes.forEach(n -> await(n.deployment));
    eventually("three READY nodes with three members", () -> nodes.stream().allMatch(n ->
      n.state().getStatus() == CloisterStatus.READY && n.state().memberNames().equals(NAMES)),
      () -> nodes.stream().map(n -> n.state().toJson().encode()).toList());
    for (Node n : nodes) {
      String name = "node" + n.index;
      MessageConsumer<Object> c = n.cloister().consumer("test.direct", m -> m.reply(new JsonObject()
        .put("node", name).put("address", m.address()).put("header", m.headers().get("x-user"))
        .put("reserved", m.headers().get("cloister.sneaky"))));
      await(c.completion());
      direct.add(c);
      await(n.cloister().consumer("test.refuse", m -> m.fail(418, "teapot on " + name)).completion());
      await(n.cloister().consumer("test.silent", m -> { }).completion());
      await(n.vertx.eventBus().consumer("test.plain", m -> m.reply(m.address())).completion());
    }
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static List<NodeReply> call(int from, String address, CallOptions options) {
    return await(nodes.get(from).cloister().multicall(NAMES, address, "hi", options));
  }

  /** The addresses the messages arrived on, per node, or the failure. */
  private static List<String> arrivals(List<NodeReply> replies) {
    return replies.stream().map(r -> r.isSucceeded() ? ((JsonObject) r.getBody()).getString("address")
      : r.getNode() + " failed " + r.getFailureCode()).toList();
  }

  @Test
  void aCloisterConsumerIsCalledOnItsNodeScopedAliasFromEveryNode() {
    for (int from = 0; from < 3; from++) {
      int caller = from;
      // The alias registrations reach every node's subscription map shortly after completion.
      eventually("node" + caller + "'s calls arrive on the aliases", () -> arrivals(call(caller, "test.direct",
        new CallOptions())).stream().allMatch(a -> a.contains(".to.test.direct")),
        () -> arrivals(call(caller, "test.direct", new CallOptions())));
      List<NodeReply> replies = call(caller, "test.direct", new CallOptions().addHeader("x-user", "kept")
        .addHeader("cloister.sneaky", "dropped"));
      assertEquals(NAMES, replies.stream().map(NodeReply::getNode).toList());
      for (NodeReply r : replies) {
        JsonObject body = (JsonObject) r.getBody();
        assertEquals(r.getNode(), body.getString("node"));
        assertFalse(body.getString("address").equals("test.direct"), "relayed: " + body);
        assertEquals("kept", body.getString("header"));
        assertEquals(null, body.getString("reserved"));
      }
    }
  }

  @Test
  void aPlainConsumerIsStillReachedThroughTheInbox() {
    List<NodeReply> replies = call(1, "test.plain", new CallOptions());
    assertEquals(List.of("test.plain", "test.plain", "test.plain"),
      replies.stream().map(r -> String.valueOf(r.getBody())).toList());
  }

  @Test
  void failuresAndTimeoutsOfADirectCallKeepTheirCodes() {
    for (NodeReply r : call(0, "test.refuse", new CallOptions())) {
      assertFalse(r.isSucceeded());
      assertEquals(ReplyFailure.RECIPIENT_FAILURE, r.getFailure());
      assertEquals(418, r.getFailureCode());
      assertEquals("teapot on " + r.getNode(), r.getFailureMessage());
    }
    for (NodeReply r : call(2, "test.silent", new CallOptions().setTimeout(300))) {
      assertEquals(ReplyFailure.TIMEOUT, r.getFailure());
      assertEquals(504, r.getFailureCode());
    }
  }

  @Test
  void unregisteringRemovesTheAddressAndItsAlias() {
    Node n = nodes.get(2);
    MessageConsumer<Object> gone = n.cloister().consumer("test.gone", m -> m.reply("here"));
    await(gone.completion());
    assertTrue(gone.isRegistered());
    eventually("node0 reaches node2's consumer", () -> call(0, "test.gone", new CallOptions()).get(2).isSucceeded(),
      () -> call(0, "test.gone", new CallOptions()));
    await(gone.unregister());
    assertFalse(gone.isRegistered());
    // A call must not wait for its timeout meanwhile: with two minutes, a hang fails the wait.
    CallOptions patient = new CallOptions().setTimeout(120_000);
    eventually("node2 no longer answers on test.gone, directly or relayed",
      () -> call(0, "test.gone", patient).get(2).getFailureCode() == CloisterException.NOT_FOUND,
      () -> call(0, "test.gone", patient));
  }

  @Test
  void aConsumerNeedsAnAddress() {
    for (String bad : new String[] {null, ""}) {
      CloisterException e = assertThrows(CloisterException.class,
        () -> nodes.get(0).cloister().consumer(bad, m -> m.reply("no")));
      assertEquals(CloisterException.BAD_REQUEST, e.code());
    }
  }
}
