package dev.cloister.calls;

import dev.cloister.CallOptions;
import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three nodes of group "cloister" and a fourth of group "other", consensus three: sibling calls
 * between them, with consumers that reply, fail, stay silent or are missing.
 */
class SiblingCallsTest {

  private static final List<String> GROUP = List.of("node0", "node1", "node2");
  private static CloisterCluster cluster;
  private static List<CloisterNode> nodes;
  private static final Map<String, AtomicInteger> casts = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> published = new ConcurrentHashMap<>();
  /** Per node: the sentinel messages it got, which close each check that a message did not arrive. */
  private static final Map<String, AtomicInteger> sentinels = new ConcurrentHashMap<>();

  @BeforeAll
  static void startCluster() {
    cluster = CloisterCluster.builder().nodes(4).consensus(3).options((i, o) -> o.setGroup(i == 3 ? "other" : null)).start();
    nodes = List.of(0, 1, 2, 3).stream().map(cluster::node).toList();
    cluster.awaitConverged();
    for (CloisterNode n : nodes) {
      String name = n.name();
      consume(n, "test.echo", m -> m.reply(new JsonObject().put("node", name).put("got", m.body())));
      if (n.index() == 0) {
        consume(n, "test.mixed", m -> m.reply("fine"));
      } else if (n.index() == 1) {
        consume(n, "test.mixed", m -> m.fail(418, "teapot on node1"));
      }
      // node2 has no consumer of test.mixed.
      if (n.index() != 2) {
        consume(n, "test.slow", m -> m.reply("quick"));
      } else {
        consume(n, "test.slow", m -> { });
      }
      casts.put(name, new AtomicInteger());
      published.put(name, new AtomicInteger());
      sentinels.put(name, new AtomicInteger());
      consume(n, "test.cast", m -> ("sentinel".equals(m.body()) ? sentinels : casts).get(name).incrementAndGet());
      consume(n, "test.publish", m -> ("sentinel".equals(m.body()) ? sentinels : published).get(name).incrementAndGet());
      n.cloister().register("whoami", args -> Future.succeededFuture(new JsonObject().put("node", name).put("args", args)));
      n.cloister().register("refuse", args -> Future.failedFuture(new CloisterException(CloisterException.CONFLICT, "no on " + name)));
    }
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static void consume(CloisterNode n, String address, io.vertx.core.Handler<Message<Object>> handler) {
    MessageConsumer<Object> c = n.vertx().eventBus().consumer(address, handler);
    await(c.completion());
  }

  private static Cloister node(int i) {
    return nodes.get(i).cloister();
  }

  private static String nodeId(int i) {
    return nodes.get(i).vertx().isClustered() ? node(i).state().getMembers().stream()
      .filter(m -> m.getName().equals("node" + i)).findFirst().orElseThrow().getNodeId() : null;
  }

  /**
   * Sends a sentinel along the path under test from {@code sender} to every node and waits until
   * each got it: the event bus keeps each sender's order per node, so any earlier message from that
   * sender to a node has arrived by then, and what did not arrive was never sent.
   */
  private static void awaitSentinel(int sender, boolean publish) {
    Map<String, Integer> before = new java.util.HashMap<>();
    sentinels.forEach((name, count) -> before.put(name, count.get()));
    if (publish) {
      await(node(sender).multicast("test.publish", "sentinel"));
    } else {
      await(node(sender).multicast(List.of("node0", "node1", "node2", "node3"), "test.cast", "sentinel"));
    }
    cluster.eventually(() -> sentinels.forEach((name, count) ->
      assertEquals(before.get(name) + 1, count.get(), name + " got the sentinel")));
  }

  @Test
  void siblingsAreTheGroupSelfIncludedOnEveryNode() {
    for (int i = 0; i < 3; i++) {
      assertEquals(GROUP, node(i).siblings());
      assertEquals(GROUP, await(node(i).siblingsRefreshed()));
      assertEquals(3, node(i).consensus());
    }
    assertEquals(List.of("node3"), node(3).siblings());
    assertEquals(List.of("node3"), await(node(3).siblingsRefreshed()));
  }

  @Test
  void multicallToSiblingsGetsOneReplyPerSiblingInNameOrder() {
    List<NodeReply> replies = await(node(1).multicall("test.echo", "hi"));
    assertEquals(GROUP, replies.stream().map(NodeReply::getNode).toList());
    for (NodeReply r : replies) {
      assertTrue(r.isSucceeded(), r.toString());
      assertEquals(new JsonObject().put("node", r.getNode()).put("got", "hi"), r.getBody());
    }
  }

  @Test
  void multicallReportsEachNodesOwnFailure() {
    List<NodeReply> replies = await(node(0).multicall(GROUP, "test.mixed", "x"));
    NodeReply ok = replies.get(0);
    NodeReply failed = replies.get(1);
    NodeReply missing = replies.get(2);
    assertTrue(ok.isSucceeded());
    assertEquals("fine", ok.getBody());
    assertFalse(failed.isSucceeded());
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, failed.getFailure());
    assertEquals(418, failed.getFailureCode());
    assertEquals("teapot on node1", failed.getFailureMessage());
    assertFalse(missing.isSucceeded());
    assertEquals(ReplyFailure.NO_HANDLERS, missing.getFailure());
    assertEquals(CloisterException.NOT_FOUND, missing.getFailureCode());
    assertNull(missing.getBody());
  }

  @Test
  void aTimeoutIsReportedForTheSilentNodeOnly() {
    List<NodeReply> replies = await(node(1).multicall(GROUP, "test.slow", "x", new CallOptions().setTimeout(1000)));
    assertEquals("quick", replies.get(0).getBody());
    assertEquals("quick", replies.get(1).getBody());
    assertEquals(ReplyFailure.TIMEOUT, replies.get(2).getFailure());
    assertEquals(504, replies.get(2).getFailureCode());
  }

  @Test
  void unknownNodeNamesAre404sForThatNodeOnly() {
    List<NodeReply> replies = await(node(0).multicall(List.of("node2", "ghost", "node3", "node2"), "test.echo", 1));
    assertEquals(List.of("node2", "ghost", "node3"), replies.stream().map(NodeReply::getNode).toList());
    assertTrue(replies.get(0).isSucceeded());
    assertEquals(CloisterException.NOT_FOUND, replies.get(1).getFailureCode());
    assertTrue(replies.get(1).getFailureMessage().contains("ghost"));
    assertTrue(replies.get(2).isSucceeded(), "a node of another group is reachable by name");
  }

  @Test
  void headersReachTheConsumerAndReservedOnesDoNot() {
    consume(nodes.get(2), "test.headers", m -> m.reply(new JsonObject()
      .put("trace", m.headers().get("trace")).put("reserved", m.headers().get("cloister.op"))));
    List<NodeReply> replies = await(node(0).multicall(List.of("node2"), "test.headers", null,
      new CallOptions().addHeader("trace", "t-1")));
    assertEquals(new JsonObject().put("trace", "t-1").putNull("reserved"), replies.get(0).getBody());
  }

  @Test
  void multicastReachesExactlyTheNamedNodes() {
    await(node(1).multicast(List.of("node0", "node2", "node0", "ghost"), "test.cast", "c"));
    awaitSentinel(1, false);
    assertEquals(1, casts.get("node0").get());
    assertEquals(0, casts.get("node1").get());
    assertEquals(1, casts.get("node2").get());
    assertEquals(0, casts.get("node3").get());
  }

  @Test
  void multicastToAllIsAPublishEveryNodeGetsOnce() {
    await(node(2).multicast("test.publish", "p"));
    awaitSentinel(2, true);
    published.forEach((node, count) -> assertEquals(1, count.get(), node));
  }

  @Test
  void multiapplyRunsTheRegisteredFunctionOncePerNode() {
    JsonArray args = new JsonArray().add(1).add("two");
    List<NodeReply> replies = await(node(0).multiapply("whoami", args));
    assertEquals(GROUP, replies.stream().map(NodeReply::getNode).toList());
    for (NodeReply r : replies) {
      assertEquals(new JsonObject().put("node", r.getNode()).put("args", args), r.getBody(), r.toString());
    }
    List<NodeReply> other = await(node(0).multiapply(List.of("node3"), "whoami", new JsonArray(), new CallOptions()));
    assertEquals("node3", ((JsonObject) other.get(0).getBody()).getString("node"));
  }

  @Test
  void anUnregisteredFunctionIsA404OnEveryNode() {
    for (NodeReply r : await(node(2).multiapply("rm -rf /", new JsonArray()))) {
      assertFalse(r.isSucceeded());
      assertEquals(CloisterException.NOT_FOUND, r.getFailureCode(), r.toString());
    }
    for (NodeReply r : await(node(2).multiapply("java.lang.Runtime.exec", new JsonArray().add("true")))) {
      assertEquals(CloisterException.NOT_FOUND, r.getFailureCode(), "no reflection: " + r);
    }
  }

  @Test
  void unregisteringMakesThatNodeA404() {
    for (CloisterNode n : nodes) {
      n.cloister().register("temp", args -> Future.succeededFuture("here"));
    }
    assertTrue(node(1).unregister("temp"));
    assertFalse(node(1).unregister("temp"));
    List<NodeReply> replies = await(node(0).multiapply("temp", null));
    assertEquals("here", replies.get(0).getBody());
    assertEquals(CloisterException.NOT_FOUND, replies.get(1).getFailureCode());
    assertEquals("here", replies.get(2).getBody());
  }

  @Test
  void aFailingFunctionKeepsItsCode() {
    for (NodeReply r : await(node(0).multiapply("refuse", new JsonArray()))) {
      assertEquals(CloisterException.CONFLICT, r.getFailureCode());
      assertEquals("no on " + r.getNode(), r.getFailureMessage());
    }
  }

  @Test
  void malformedMessagesToAnInboxGetFailureCodesAndTheNodeKeepsServing() {
    String inbox = "cloister.node." + nodeId(1);
    assertFailure(400, inbox, "no headers", new DeliveryOptions());
    assertFailure(400, inbox, "x", headers("cloister.op", "call"));
    assertFailure(400, inbox, "x", headers("cloister.op", "call", "cloister.target", ""));
    assertFailure(400, inbox, "x", headers("cloister.op", "explode", "cloister.target", "test.echo"));
    assertFailure(400, inbox, "x", headers("cloister.op", "call", "cloister.target", "test.echo", "cloister.timeout", "soon"));
    assertFailure(400, inbox, "x", headers("cloister.op", "call", "cloister.target", "test.echo", "cloister.timeout", "-5"));
    assertFailure(400, inbox, new JsonObject(), headers("cloister.op", "apply", "cloister.target", "whoami"));
    assertFailure(400, inbox, Buffer.buffer("not json"), headers("cloister.op", "apply", "cloister.target", "whoami"));
    assertFailure(400, inbox, Buffer.buffer("{\"a\":1}"), headers("cloister.op", "apply", "cloister.target", "whoami"));
    assertFailure(404, inbox, Buffer.buffer("[]"), headers("cloister.op", "apply", "cloister.target", "nope"));
    assertFailure(400, inbox, Buffer.buffer(new byte[1024 * 1024 + 1]),
      headers("cloister.op", "call", "cloister.target", "test.echo"));
    assertFailure(400, inbox, "x".repeat(1024 * 1024 + 1), headers("cloister.op", "cast", "cloister.target", "test.echo"));
    // A well-formed call to an address nobody consumes on that node is a relayed 404.
    Message<Object> relayed = await(nodes.get(0).vertx().eventBus().request(inbox, "x",
      headers("cloister.op", "call", "cloister.target", "no.such.address")));
    assertEquals("NO_HANDLERS", relayed.headers().get("cloister.outcome"));
    assertEquals("404", relayed.headers().get("cloister.code"));
    // A fire-and-forget with nonsense is dropped without harm.
    nodes.get(0).vertx().eventBus().send(inbox, 42);

    List<NodeReply> after = await(node(0).multicall("test.echo", "still there?"));
    assertTrue(after.stream().allMatch(NodeReply::isSucceeded), after.toString());
  }

  @Test
  void callsFromAStoppedNodeFailWith503() {
    // Not on the shared cluster: a Cloister that never started has no membership to route by.
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Cloister c = Cloister.create(vertx, new dev.cloister.CloisterOptions());
      Future<List<NodeReply>> f = c.multicall(List.of("node0"), "test.echo", "x");
      assertTrue(f.failed());
      assertEquals(CloisterException.NO_QUORUM, ((CloisterException) f.cause()).code());
    } finally {
      await(vertx.close());
    }
  }

  private static DeliveryOptions headers(String... kv) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) {
      h.add(kv[i], kv[i + 1]);
    }
    return new DeliveryOptions().setHeaders(h);
  }

  private static void assertFailure(int code, String address, Object body, DeliveryOptions options) {
    Future<Message<Object>> reply = nodes.get(0).vertx().eventBus().request(address, body, options);
    try {
      reply.await(60, TimeUnit.SECONDS);
      fail("expected a " + code + " failure for " + options.getHeaders());
    } catch (ReplyException e) {
      assertEquals(ReplyFailure.RECIPIENT_FAILURE, e.failureType(), e.getMessage());
      assertEquals(code, e.failureCode(), e.getMessage());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
