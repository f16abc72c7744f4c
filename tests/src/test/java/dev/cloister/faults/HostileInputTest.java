package dev.cloister.faults;

import dev.cloister.CloisterException;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.impl.membership.MemberRecord;
import dev.cloister.impl.membership.MembersCache;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile input, fuzz style with a fixed seed: thousands of malformed, wrongly typed, oversized and
 * random messages to the {@code cloister.whois} and {@code cloister.state} addresses, and garbage
 * written straight into the members cache. Every whois gets an answer or a 400/404/503 failure, no
 * node crashes or wedges, and afterwards every node answers whois identically.
 */
class HostileInputTest {

  private static final long SEED = 20261124L;
  private static final Set<Integer> WHOIS_CODES = Set.of(CloisterException.BAD_REQUEST, CloisterException.NOT_FOUND,
    CloisterException.NO_QUORUM);
  private static final List<String> NAMES = List.of("node0", "node1", "node2");

  private final Random random = new Random(SEED);
  private CloisterCluster cluster;
  /** The cluster's app name, which genuine records carry. */
  private String app;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private List<CloisterNode> startThree() {
    cluster = CloisterCluster.builder().nodes(3).consensus(2).start();
    app = cluster.app();
    cluster.awaitConverged();
    return List.of(cluster.node(0), cluster.node(1), cluster.node(2));
  }

  @Test
  void fuzzedMessagesAndGarbageRecordsNeverCrashOrWedgeANode() throws Exception {
    List<CloisterNode> nodes = startThree();
    List<String> ids = nodes.stream().map(n -> n.state().getMembers().get(n.index()).getNodeId()).toList();
    AtomicInteger cacheWarnings = new AtomicInteger();
    Logger cacheLog = Logger.getLogger(MembersCache.class.getName());
    Handler counter = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          cacheWarnings.incrementAndGet();
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    cacheLog.addHandler(counter);
    try {
      fuzzWhois(nodes, 3000);
      fuzzStateAddress(nodes, 1000);
      fuzzInbox(nodes, 2000);
      fuzzRecordAddresses(nodes, ids, 500);
      int invalid = fuzzMembersCache(nodes, ids, 2000);
      // One warning per invalid entry and node at most, not one per read of the cache.
      assertTrue(cacheWarnings.get() <= 3 * invalid, cacheWarnings.get() + " warnings for " + invalid + " entries");
    } finally {
      cacheLog.removeHandler(counter);
    }

    // Each node purges the phantoms carrying its id and writes its own record back; until every
    // node has read the cleaned cache, one of them may still be building rings from a read that
    // held a phantom. So wait for the cache, then for identical answers.
    for (CloisterNode n : nodes) {
      cluster.eventually(() -> assertEquals(List.of(), forgeriesIn(n, ids),
        "no phantom and no forged own record on " + n.name()));
    }
    cluster.awaitConverged();
    cluster.eventually(() -> assertNull(differingOwner(nodes, 1000), "every node answers whois identically"));
    assertSameOwners(nodes, 1000);

    // Not wedged: a membership change still goes through the machine on every survivor.
    cluster.stop(2);
    List<CloisterNode> survivors = nodes.subList(0, 2);
    cluster.awaitConverged();
    cluster.eventually(() -> assertNull(differingOwner(survivors, 1000), "the survivors answer whois identically"));
    assertSameOwners(survivors, 1000);
  }

  @Test
  void aRecordClaimingALiveNodesIdUnderAnotherNameIsRemovedByThatNode() {
    List<CloisterNode> nodes = startThree();
    CloisterState s = nodes.get(0).state();
    String id1 = s.getMembers().get(1).getNodeId();
    // A phantom "ghost" carried by node1's id, and node2's name taken over with node1's id.
    Members.put(nodes.get(0).vertx(), "ghost", record("ghost", id1));
    Members.put(nodes.get(0).vertx(), "node2", record("node2", id1));
    cluster.awaitConverged();
    cluster.eventually(() -> assertFalse(Members.cache(nodes.get(0).vertx()).containsKey("ghost"),
      "the forgeries are gone: " + Members.cache(nodes.get(0).vertx()).keySet()));
    // node2 writes its own record back; until it has, node1 may list two members.
    cluster.eventually(() -> {
      List<dev.cloister.CloisterMember> seen = nodes.get(1).state().getMembers();
      assertEquals(3, seen.size(), "node2's record is its own again: " + seen);
      assertEquals(s.getMembers().get(2).getNodeId(), seen.get(2).getNodeId(), "node2's record is its own again: " + seen);
    });
  }

  // ---- whois ----

  private void fuzzWhois(List<CloisterNode> nodes, int cases) {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < cases; i++) {
      CloisterNode from = nodes.get(random.nextInt(nodes.size()));
      Object body = randomWhoisBody();
      try {
        Object reply = from.vertx().eventBus().request("cloister.whois", body, new DeliveryOptions().setSendTimeout(30_000))
          .await(60, TimeUnit.SECONDS).body();
        JsonObject answer = (JsonObject) reply;
        assertTrue(NAMES.contains(answer.getString("node")), "an answer names a member: " + answer);
        outcomes.merge("answered", 1, Integer::sum);
      } catch (ReplyException e) {
        if (e.failureType() != ReplyFailure.RECIPIENT_FAILURE || !WHOIS_CODES.contains(e.failureCode())) {
          fail("case " + i + ": " + e.failureType() + " " + e.failureCode() + " " + e.getMessage() + " for "
            + abbreviate(body));
        }
        outcomes.merge("failed " + e.failureCode(), 1, Integer::sum);
      } catch (Exception e) {
        fail("case " + i + ": " + e + " for " + abbreviate(body));
      }
    }
    System.out.println("whois fuzz outcomes: " + outcomes);
    assertTrue(outcomes.containsKey("answered") && outcomes.containsKey("failed 400")
      && outcomes.containsKey("failed 404"), "the fuzz reached each outcome: " + outcomes);
  }

  private Object randomWhoisBody() {
    switch (random.nextInt(10)) {
      case 0:
        return randomScalar();
      case 1:
        return randomArray(3);
      case 2:
        return Buffer.buffer(randomBytes(random.nextInt(2000)));
      default:
        JsonObject o = new JsonObject();
        if (random.nextInt(8) > 0) {
          o.put("key", randomValue(3));
        }
        switch (random.nextInt(6)) {
          case 0 -> o.put("group", randomValue(2));
          case 1 -> o.put("group", "no-such-group-" + random.nextInt(100));
          case 2 -> o.put("group", app);
          default -> { }
        }
        if (random.nextInt(5) == 0) {
          o.put(randomString(10), randomValue(2));
        }
        return o;
    }
  }

  // ---- sibling-call inboxes ----

  private static final Set<Integer> INBOX_CODES = Set.of(400, 404, 500, 503, 504);

  /**
   * Random messages straight to the node-scoped inboxes: random or missing operation, target,
   * timeout and codec headers, bodies of any type and size. Each request gets a reply or a
   * failure reply with a code; nothing hangs past its timeout; afterwards calls still work.
   */
  private void fuzzInbox(List<CloisterNode> nodes, int cases) {
    for (CloisterNode n : nodes) {
      await(n.vertx().eventBus().consumer("fuzz.echo", m -> m.reply(m.body())).completion());
    }
    List<String> inboxes = nodes.get(0).state().getMembers().stream().map(m -> "cloister.node." + m.getNodeId()).toList();
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int done = 0; done < cases; done += 100) {
      List<Future<Object>> batch = new ArrayList<>();
      List<Object> bodies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        CloisterNode from = nodes.get(random.nextInt(nodes.size()));
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(5000);
        String[] ops = {"call", "cast", "apply", "", "CALL", randomString(5)};
        if (random.nextInt(6) > 0) {
          options.addHeader("cloister.op", ops[random.nextInt(ops.length)]);
        }
        if (random.nextInt(4) > 0) {
          String[] targets = {"fuzz.echo", "cloister.whois", "no.such.address", randomString(20), ""};
          options.addHeader("cloister.target", targets[random.nextInt(targets.length)]);
        }
        if (random.nextInt(3) == 0) {
          options.addHeader("cloister.timeout", random.nextBoolean() ? String.valueOf(random.nextInt(3000) - 100)
            : randomString(4));
        }
        if (random.nextInt(8) == 0) {
          options.addHeader("cloister.codec", randomString(6));
        }
        Object body = random.nextInt(20) == 0 ? Buffer.buffer(randomBytes(1_100_000)) : randomWhoisBody();
        bodies.add(body);
        batch.add(from.vertx().eventBus().request(inboxes.get(random.nextInt(inboxes.size())), body, options)
          .map(m -> (Object) m.body()));
      }
      for (int i = 0; i < batch.size(); i++) {
        try {
          batch.get(i).await(60, TimeUnit.SECONDS);
          outcomes.merge("replied", 1, Integer::sum);
        } catch (ReplyException e) {
          boolean coded = e.failureType() == ReplyFailure.RECIPIENT_FAILURE && INBOX_CODES.contains(e.failureCode());
          // A cast has no reply by design: its request times out at the sender, which is the
          // caller's own bound, not a hang of the node.
          if (!coded && e.failureType() != ReplyFailure.TIMEOUT) {
            fail("inbox case: " + e.failureType() + " " + e.failureCode() + " " + e.getMessage() + " for "
              + abbreviate(bodies.get(i)));
          }
          outcomes.merge(coded ? "failed " + e.failureCode() : "no reply (cast)", 1, Integer::sum);
        } catch (Exception e) {
          fail("inbox case: " + e + " for " + abbreviate(bodies.get(i)));
        }
      }
    }
    System.out.println("inbox fuzz outcomes: " + outcomes);
    assertTrue(outcomes.containsKey("replied") && outcomes.containsKey("failed 400"), "the fuzz reached each outcome: "
      + outcomes);
    for (CloisterNode n : nodes) {
      List<dev.cloister.NodeReply> replies = await(n.cloister().multicall(NAMES, "fuzz.echo", "still here"));
      for (dev.cloister.NodeReply r : replies) {
        assertTrue(r.isSucceeded() && "still here".equals(r.getBody()), "calls still served after the fuzz: " + r);
      }
    }
  }

  // ---- where a node is asked to write its record again ----

  /**
   * Random bodies to each node's record address: a boolean reply (written again or not) or a
   * failure reply with code 400, never a hang; every node stays READY.
   */
  private void fuzzRecordAddresses(List<CloisterNode> nodes, List<String> ids, int cases) {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < cases; i++) {
      CloisterNode from = nodes.get(random.nextInt(nodes.size()));
      Object body = switch (random.nextInt(4)) {
        case 0 -> randomWhoisBody();
        case 1 -> Buffer.buffer(randomBytes(random.nextInt(2000)));
        case 2 -> "x".repeat(8000 + random.nextInt(2000));
        default -> randomString(random.nextInt(200));
      };
      try {
        Object reply = from.vertx().eventBus().request("cloister.record." + ids.get(random.nextInt(ids.size())), body,
          new DeliveryOptions().setSendTimeout(5000)).await(30, TimeUnit.SECONDS).body();
        assertTrue(reply instanceof Boolean, "a boolean reply, got " + reply + " for " + abbreviate(body));
        outcomes.merge("replied", 1, Integer::sum);
      } catch (ReplyException e) {
        assertEquals(ReplyFailure.RECIPIENT_FAILURE, e.failureType(), "record case: " + e.getMessage() + " for "
          + abbreviate(body));
        assertEquals(400, e.failureCode(), "record case: " + e.getMessage());
        outcomes.merge("failed 400", 1, Integer::sum);
      } catch (Exception e) {
        fail("record case: " + e + " for " + abbreviate(body));
      }
    }
    System.out.println("record address fuzz outcomes: " + outcomes);
    assertTrue(outcomes.containsKey("replied") && outcomes.containsKey("failed 400"), "the fuzz reached each outcome: "
      + outcomes);
    for (CloisterNode n : nodes) {
      assertEquals(CloisterStatus.READY, n.state().getStatus(), "record-address fuzz left " + n.name() + " READY");
    }
  }

  // ---- state address ----

  private void fuzzStateAddress(List<CloisterNode> nodes, int cases) {
    for (int i = 0; i < cases; i++) {
      CloisterNode from = nodes.get(random.nextInt(nodes.size()));
      Object body = random.nextBoolean() ? randomWhoisBody()
        : new JsonObject().put("from", randomValue(1)).put("to", randomValue(1)).put("state", randomValue(2));
      if (random.nextBoolean()) {
        from.vertx().eventBus().publish("cloister.state", body);
      } else {
        // Nobody inside Cloister consumes this address: a request must fail, never hang a node.
        Future<?> f = from.vertx().eventBus().request("cloister.state", body, new DeliveryOptions().setSendTimeout(2000));
        try {
          f.await(30, TimeUnit.SECONDS);
        } catch (Exception expected) {
          // no handler, or a handler of the test harness that does not reply
        }
      }
    }
    for (CloisterNode n : nodes) {
      assertEquals(CloisterStatus.READY, n.state().getStatus(), "state-address fuzz left " + n.name() + " READY");
    }
  }

  // ---- members cache ----

  /** Writes garbage into the members cache; returns how many entries were invalid records. */
  private int fuzzMembersCache(List<CloisterNode> nodes, List<String> ids, int cases) {
    int invalid = 0;
    for (int i = 0; i < cases; i++) {
      CloisterNode via = nodes.get(random.nextInt(nodes.size()));
      Object key;
      Object value;
      boolean bad = true;
      switch (random.nextInt(12)) {
        case 0 -> {
          key = random.nextInt(1000);
          value = randomString(50);
        }
        case 1 -> {
          key = "junk-" + random.nextInt(500);
          value = random.nextBoolean() ? (Object) random.nextLong() : randomBytes(100);
        }
        case 2 -> {
          key = "junk-" + random.nextInt(500);
          value = randomString(random.nextInt(500));
        }
        case 3 -> {
          key = "junk-" + random.nextInt(500);
          value = randomArray(3).encode();
        }
        case 4 -> {
          // A record under the wrong key.
          key = "junk-" + random.nextInt(500);
          value = record("node" + random.nextInt(3), "vm-" + random.nextInt()).replace("\"port\":1", "\"port\":\"x\"");
        }
        case 5 -> {
          // Huge values: over the record bound, a few of them very large.
          key = "huge-" + random.nextInt(50);
          value = "{\"name\":\"" + "x".repeat(random.nextInt(20) == 0 ? 1_000_000 : 9000 + random.nextInt(20_000))
            + "\"}";
        }
        case 6 -> {
          // Another node's name, a dead node id: that node writes its record back.
          String name = NAMES.get(random.nextInt(3));
          key = name;
          value = record(name, "vm-dead-" + random.nextInt(1000));
          bad = false;
        }
        case 7 -> {
          // Another node's name, garbage content.
          key = NAMES.get(random.nextInt(3));
          value = random.nextBoolean() ? randomString(80) : new JsonObject().put("name", key).put("port", -5).encode();
        }
        case 8 -> {
          // Valid records of ghosts that were never in the view, and of another app.
          String name = "ghost-" + random.nextInt(200);
          key = name;
          value = random.nextBoolean() ? record(name, "vm-ghost-" + random.nextInt(1000))
            : record(name, ids.get(random.nextInt(3))).replace("\"app\":\"" + app + "\"", "\"app\":\"other\"");
          bad = false;
        }
        case 9 -> {
          // A phantom: a live node's id under another name.
          String name = "phantom-" + random.nextInt(200);
          key = name;
          value = record(name, ids.get(random.nextInt(3)));
          bad = false;
        }
        case 10 -> {
          key = "junk-" + random.nextInt(500);
          value = new JsonObject().put("name", key).put("app", app).put("group", randomValue(1))
            .put("host", randomValue(1)).put("port", randomValue(1)).put("nodeId", randomValue(1))
            .put("startedAt", randomValue(1)).put("status", randomValue(1)).encode();
        }
        default -> {
          key = randomString(30);
          value = String.valueOf(randomValue(2));
        }
      }
      try {
        Members.put(via.vertx(), key, value);
        if (bad) {
          invalid++;
        }
      } catch (RuntimeException refused) {
        // A type the cache cannot replicate never reaches another node: nothing to test.
      }
    }
    return invalid;
  }

  private String record(String name, String nodeId) {
    return new MemberRecord(name, app, app, "127.0.0.1", 1, nodeId, 1L, CloisterStatus.READY, null).encode();
  }

  // ---- the final check ----

  /** The records in a node's replica that a live node must still purge or rewrite. */
  private List<String> forgeriesIn(CloisterNode n, List<String> ids) {
    List<String> out = new ArrayList<>();
    Members.cache(n.vertx()).forEach((key, value) -> {
      if (!(key instanceof String name) || !(value instanceof String text)) {
        return;
      }
      MemberRecord r;
      try {
        r = MemberRecord.decode(name, text);
      } catch (IllegalArgumentException invalid) {
        return;
      }
      int at = NAMES.indexOf(name);
      boolean forgedOwn = at >= 0 && !r.nodeId().equals(ids.get(at));
      boolean phantom = at < 0 && r.app().equals(app) && ids.contains(r.nodeId());
      if (forgedOwn || phantom) {
        out.add(name + " -> " + r.nodeId());
      }
    });
    return out;
  }

  /** The first key two nodes answer differently, or {@code null} when they all agree. */
  private static String differingOwner(List<CloisterNode> nodes, int keys) {
    for (int k = 0; k < keys; k++) {
      String key = "key-" + k;
      try {
        String owner = nodes.get(0).cloister().whois(key);
        for (CloisterNode n : nodes) {
          String theirs = n.cloister().whois(key);
          if (!owner.equals(theirs)) {
            return key + ": " + owner + " on node0, " + theirs + " on " + n.name();
          }
        }
      } catch (CloisterException notNow) {
        return key + ": " + notNow.getMessage();
      }
    }
    return null;
  }

  private static void assertSameOwners(List<CloisterNode> nodes, int keys) {
    for (int k = 0; k < keys; k++) {
      String key = "key-" + k;
      String owner = nodes.get(0).cloister().whois(key);
      for (CloisterNode n : nodes) {
        assertEquals(owner, n.cloister().whois(key), key + " on " + n.name());
        if (k % 10 == 0) {
          JsonObject reply = (JsonObject) await(n.vertx().eventBus().request("cloister.whois",
            new JsonObject().put("key", key))).body();
          assertEquals(owner, reply.getString("node"), key + " over the event bus from " + n.name());
        }
      }
    }
  }

  // ---- random values ----

  private Object randomValue(int depth) {
    int kind = random.nextInt(depth > 0 ? 8 : 6);
    return switch (kind) {
      case 6 -> randomArray(depth - 1);
      case 7 -> {
        JsonObject o = new JsonObject();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.put(randomString(8), randomValue(depth - 1));
        }
        yield o;
      }
      default -> randomScalar();
    };
  }

  private JsonArray randomArray(int depth) {
    JsonArray a = new JsonArray();
    for (int i = random.nextInt(4); i > 0; i--) {
      a.add(depth > 0 ? randomValue(depth - 1) : randomScalar());
    }
    return a;
  }

  private Object randomScalar() {
    return switch (random.nextInt(9)) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> random.nextInt();
      case 3 -> random.nextLong();
      case 4 -> random.nextDouble() * 1e300;
      case 5 -> random.nextBoolean();
      case 6 -> "x".repeat(random.nextInt(100) == 0 ? 1_000_000 : random.nextInt(5000));
      default -> randomString(random.nextInt(40));
    };
  }

  private String randomString(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int c = random.nextInt(20) == 0 ? random.nextInt(0x10000) : 32 + random.nextInt(95);
      // Lone surrogates are legal in a Java string and must not break anything either.
      sb.append((char) c);
    }
    return sb.toString();
  }

  private byte[] randomBytes(int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  private static String abbreviate(Object o) {
    String s = String.valueOf(o);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
