package dev.cloister.workers;

import dev.cloister.CloisterException;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.SetRings;
import dev.cloister.testing.WorkHistory;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes, consensus 2, one worker set per scenario: the key set's operations, where keys run,
 * what each outcome does, calls and casts, and the answers to bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkersContractTest {

  private final String run = java.util.UUID.randomUUID().toString();
  private InJvmCluster cluster;
  private List<Node> nodes;

  private String registry(int i) {
    return "workers-contract-" + run + "-" + i;
  }

  @BeforeAll
  void startTwo() {
    cluster = new InJvmCluster(2);
    cluster.vertxOptions(i -> new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
      .setPrometheusOptions(new io.vertx.micrometer.VertxPrometheusOptions().setEnabled(true))
      .setRegistryName(registry(i)).setEnabled(true)));
    nodes = List.of(cluster.start(0, cluster.options(0, 2)), cluster.start(1, cluster.options(1, 2)));
    nodes.forEach(n -> await(n.deployment));
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  /** A set started on both nodes, with one recording worker per node. */
  private record Set2(List<ShardedWorkers> sets, List<RecordingWorker> workers, WorkHistory history) {
    ShardedWorkers on(int i) {
      return sets.get(i);
    }

    RecordingWorker workerOf(String node) {
      return workers.stream().filter(w -> w.node.equals(node)).findFirst().orElseThrow();
    }

    int indexOf(String node) {
      return node.equals("node0") ? 0 : 1;
    }
  }

  private Set2 startSet(String name, WorkersOptions options) {
    WorkHistory history = new WorkHistory();
    List<ShardedWorkers> sets = new ArrayList<>();
    List<RecordingWorker> workers = new ArrayList<>();
    for (Node n : nodes) {
      RecordingWorker w = new RecordingWorker("node" + n.index, history);
      workers.add(w);
      sets.add(await(ShardedWorkers.start(n.vertx, name, options, w)));
    }
    Set2 s = new Set2(sets, workers, history);
    SetRings.awaitAgreed(sets);
    return s;
  }

  private static void awaitRunning(Set2 s, Set<String> keys) {
    // Both nodes must name the same owner: a node that has not seen the other join the set yet
    // names itself, and the key would still move after this wait.
    // A node whose set has no ring yet (it has not seen itself announced) answers ownerOf with a
    // 503 meanwhile: not there yet.
    List<String> ordered = List.copyOf(keys);
    eventually("each key runs once, on the owner both nodes name", () -> {
      try {
        return s.history().eachRunsOnce(keys) && SetRings.owners(s.on(0), ordered).equals(SetRings.owners(s.on(1), ordered))
          && keys.stream().allMatch(k -> s.on(s.indexOf(s.on(0).ownerOf(k))).localKeys().contains(k));
      } catch (CloisterException noRingYet) {
        return false;
      }
    }, () -> s.history().running());
  }

  private static int code(Future<?> f) {
    try {
      f.await(30, TimeUnit.SECONDS);
    } catch (CloisterException e) {
      return e.code();
    } catch (Exception e) {
      throw new AssertionError("not a CloisterException: " + e, e);
    }
    throw new AssertionError("succeeded");
  }

  @Test
  void theKeySetIsSharedAndEachKeyRunsOnlyOnItsOwner() {
    Set2 s = startSet("basics", new WorkersOptions().setTick(100));
    assertNull(await(s.on(0).get("nothing")), "an unknown key reads as null");
    assertFalse(await(s.on(0).delete("nothing")), "deleting an unknown key answers false");
    for (int i = 0; i < 20; i++) {
      await(s.on(i % 2).put("k" + i, new JsonObject().put("i", i)));
    }
    assertFalse(await(s.on(1).putNew("k3", new JsonObject())), "putNew leaves an existing key alone");
    assertTrue(await(s.on(1).putNew("k20", new JsonObject().put("i", 20))));
    assertEquals(21L, await(s.on(0).size()));
    assertEquals(21L, await(s.on(1).size()));
    assertEquals(new JsonObject().put("i", 7), await(s.on(1).get("k7")));
    Set<String> keys = new java.util.TreeSet<>();
    for (int i = 0; i <= 20; i++) {
      keys.add("k" + i);
    }
    awaitRunning(s, keys);
    for (String k : keys) {
      assertEquals(nodes.get(0).cloister().whois(k), s.on(1).ownerOf(k), "every member runs the set: owner = whois");
    }
    assertTrue(s.history().overlaps().isEmpty(), () -> s.history().overlaps().toString());
    eventually("performs on the tick", () -> keys.stream().allMatch(k -> s.workerOf(s.on(0).ownerOf(k)).performs(k) >= 2),
      () -> "");

    // A put reaches the running key's next perform, without a restart.
    RecordingWorker w = s.workerOf(s.on(0).ownerOf("k5"));
    await(s.on(0).put("k5", new JsonObject().put("i", 500)));
    eventually("the perform sees the put", () -> w.performed.get("k5").stream().anyMatch(p -> p.getInteger("i") == 500),
      () -> w.performed.get("k5"));
    assertEquals(1, s.history().events().stream().filter(e -> e.start() && e.key().equals("k5")).count());

    for (int i = 0; i < 2; i++) {
      MeterRegistry registry = BackendRegistries.getNow(registry(i));
      int local = s.on(i).localKeys().size();
      assertEquals(local, registry.get("cloister.workers.running").tag("name", "basics").gauge().value(),
        "the running gauge counts node" + i + "'s keys");
    }

    assertTrue(await(s.on(1).delete("k5")));
    eventually("a deleted key stops", () -> List.of("deleted").equals(w.stops.get("k5")), () -> w.stops);
    assertEquals(20L, await(s.on(0).size()));
    int node0Keys = s.on(0).localKeys().size();
    MeterRegistry registry0 = BackendRegistries.getNow(registry(0));
    io.micrometer.core.instrument.Counter handoffs = registry0.get("cloister.workers.handoffs").tag("name", "basics")
      .counter();
    await(s.on(0).close());
    assertEquals(node0Keys, (int) handoffs.count(), "each key node0 ran was handed off");
    assertNull(registry0.find("cloister.workers.running").tag("name", "basics").gauge(),
      "closing removes the set's meters");
    // node0 stays a member of the group but no longer runs the set: node1 owns every key now.
    eventually("node1 runs every key once node0 closed its set", () -> s.on(1).localKeys().size() == 20,
      () -> s.on(1).localKeys().size());
    assertEquals("node1", s.on(1).ownerOf("k1"));
    assertTrue(s.workers().get(0).stops.values().stream().flatMap(List::stream).filter("moved"::equals).count()
      >= node0Keys, "node0 handed its keys off");
    assertEquals(List.of(), s.history().overlaps());
    await(s.on(1).close());
  }

  @Test
  void outcomesReplaceRescheduleRenameAndHalt() {
    Set2 s = startSet("outcomes", new WorkersOptions().setTick(50));
    s.workers().forEach(w -> w.outcome = (k, p) -> switch (k) {
      case "counter" -> p.getInteger("n", 0) < 5 ? WorkOutcome.replace(p.copy().put("n", p.getInteger("n", 0) + 1))
        : WorkOutcome.ok();
      case "old" -> WorkOutcome.rename("new", new JsonObject().put("from", "old"));
      case "doomed" -> WorkOutcome.halt();
      case "later" -> WorkOutcome.reschedule(60_000);
      default -> WorkOutcome.ok();
    });
    for (String k : List.of("counter", "old", "doomed", "later")) {
      await(s.on(0).put(k, new JsonObject()));
    }
    eventually("replace is stored", () -> Integer.valueOf(5).equals(await(s.on(1).get("counter")).getInteger("n")),
      () -> await(s.on(1).get("counter")));
    RecordingWorker counter = s.workerOf(s.on(0).ownerOf("counter"));
    List<Integer> seen = counter.performed.get("counter").stream().map(p -> p.getInteger("n", 0)).toList();
    for (int i = 0; i < 5; i++) {
      assertEquals(i, seen.get(i), "each perform sees the payload the previous one stored: " + seen);
    }

    eventually("rename: the new key runs on its owner, the old one is gone", () -> await(s.on(0).get("old")) == null
      && s.on(s.indexOf(s.on(0).ownerOf("new"))).localKeys().contains("new"), () -> s.history().running());
    assertEquals(new JsonObject().put("from", "old"), await(s.on(1).get("new")));
    assertTrue(s.workerOf(s.on(0).ownerOf("old")).stops.get("old").contains("renamed"));

    eventually("halt removes the key", () -> await(s.on(0).get("doomed")) == null, () -> "");
    assertEquals(List.of("halted"), s.workerOf(s.on(0).ownerOf("doomed")).stops.get("doomed"));

    RecordingWorker later = s.workerOf(s.on(0).ownerOf("later"));
    eventually("the first perform of 'later'", () -> later.performs("later") == 1, () -> later.performs("later"));
    // Rescheduled a minute away: the next put does not bring the tick back early.
    assertEquals(1, later.performs("later"));
    assertTrue(s.history().overlaps().isEmpty(), () -> s.history().overlaps().toString());
    await(s.on(0).close());
    await(s.on(1).close());
  }

  @Test
  void aTickOfZeroPerformsOnlyAfterAPutOrACall() {
    Set2 s = startSet("ondemand", new WorkersOptions().setTick(0));
    await(s.on(0).put("job", new JsonObject().put("v", 1)));
    awaitRunning(s, Set.of("job"));
    RecordingWorker w = s.workerOf(s.on(0).ownerOf("job"));
    eventually("the put that created the key brings one perform, once started", () -> w.performs("job") == 1,
      () -> w.performed);
    assertEquals(1, w.performed.get("job").get(0).getInteger("v"));
    await(s.on(1).put("job", new JsonObject().put("v", 2)));
    eventually("a put brings one perform", () -> w.performs("job") == 2, () -> w.performed);
    assertEquals(2, w.performed.get("job").get(1).getInteger("v"));
    await(s.on(0).call("job", new JsonObject()));
    eventually("a call brings one perform", () -> w.performs("job") == 3, () -> w.performed);
    // A sentinel key put after the call: once it has performed, a tick of the first would have too.
    await(s.on(1).put("sentinel", new JsonObject()));
    RecordingWorker sw = s.workerOf(s.on(0).ownerOf("sentinel"));
    eventually("the sentinel performs", () -> sw.performs("sentinel") == 1, () -> sw.performed);
    assertEquals(3, w.performs("job"), "no tick, no other perform");
    await(s.on(0).close());
    await(s.on(1).close());
  }

  @Test
  void eachCallbackGetsItsOwnCopyOfTheStoredPayload() {
    Set2 s = startSet("copies", new WorkersOptions().setTick(0));
    s.workers().forEach(w -> w.outcome = (k, p) -> {
      p.put("scribbled", true); // changes this perform's copy only: no replace
      return WorkOutcome.ok();
    });
    await(s.on(0).put("doc", new JsonObject().put("v", 1)));
    awaitRunning(s, Set.of("doc"));
    RecordingWorker w = s.workerOf(s.on(0).ownerOf("doc"));
    eventually("the put brings one perform", () -> w.performs("doc") == 1, () -> w.performed);
    JsonObject seen = await(s.on(1).call("doc", new JsonObject())).getJsonObject("payload");
    assertEquals(new JsonObject().put("v", 1), seen, "a call sees the stored payload, not the perform's copy");
    eventually("the call brings a perform", () -> w.performs("doc") == 2, () -> w.performed);
    assertEquals(new JsonObject().put("v", 1), w.performed.get("doc").get(1), "so does the next perform");
    assertEquals(new JsonObject().put("v", 1), await(s.on(1).get("doc")));
    await(s.on(0).close());
    await(s.on(1).close());
  }

  @Test
  void callsAndCastsReachTheOwnerFromAnyNode() {
    Set2 s = startSet("calls", new WorkersOptions().setTick(0).setPerformTimeout(500).setHandoffTimeout(300));
    List<String> keys = List.of("a", "b", "c", "d", "e", "f");
    for (String k : keys) {
      await(s.on(0).put(k, new JsonObject().put("k", k)));
    }
    awaitRunning(s, Set.copyOf(keys));
    for (String k : keys) {
      for (int i = 0; i < 2; i++) {
        JsonObject reply = await(s.on(i).call(k, new JsonObject().put("q", i)));
        assertEquals(s.on(0).ownerOf(k), reply.getString("node"), "answered by the owner");
        // The key's payload (a key that moved once while the set formed also carries who handed it off).
        assertEquals(k, reply.getJsonObject("payload").getString("k"));
        assertEquals(i, reply.getJsonObject("echo").getInteger("q"));
      }
      s.on(1).cast(k, new JsonObject().put("c", k));
      RecordingWorker w = s.workerOf(s.on(0).ownerOf(k));
      eventually("the cast arrives", () -> w.casts.containsKey(k), () -> w.casts);
    }
    assertEquals(CloisterException.NOT_FOUND, code(s.on(0).call("unknown", new JsonObject())));
    assertEquals(CloisterException.TIMEOUT, code(s.on(1).call("a", new JsonObject().put("hang", true))));
    assertEquals(500, code(s.on(1).call("b", new JsonObject().put("fail", true))));
    await(s.on(0).close());
    await(s.on(1).close());
  }

  @Test
  void badInputIsRefusedWithCodesAndNamedOptions() throws Exception {
    Set2 s = startSet("bad", new WorkersOptions());
    ShardedWorkers w = s.on(0);
    assertEquals(400, code(w.put(null, new JsonObject())));
    assertEquals(400, code(w.put("", new JsonObject())));
    assertEquals(400, code(w.put("k", null)));
    assertEquals(400, code(w.putNew("x".repeat(5000), new JsonObject())));
    assertEquals(400, code(w.get(null)));
    assertEquals(400, code(w.delete(null)));
    assertEquals(400, code(w.call(null, new JsonObject())));
    assertEquals(400, code(w.call("k", null)));
    assertEquals(400, assertThrows(CloisterException.class, () -> w.ownerOf(null)).code());
    assertEquals(400, assertThrows(CloisterException.class, () -> w.cast("", new JsonObject())).code());

    IllegalArgumentException fence = assertThrows(IllegalArgumentException.class, () -> ShardedWorkers.start(
      nodes.get(0).vertx, "lowfence", new WorkersOptions().setFence(10), new RecordingWorker("x", null))
      .await(10, TimeUnit.SECONDS));
    assertTrue(fence.getMessage().contains("fence"), fence.getMessage());
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> ShardedWorkers.start(
      nodes.get(0).vertx, "no spaces", new WorkersOptions(), new RecordingWorker("x", null)).await(10, TimeUnit.SECONDS));
    assertTrue(name.getMessage().contains("no spaces"), name.getMessage());
    // One set of a name per node: a second one would run the node's keys beside the first.
    CloisterException twice = assertThrows(CloisterException.class, () -> ShardedWorkers.start(
      nodes.get(0).vertx, "bad", new WorkersOptions(), new RecordingWorker("x", null)).await(10, TimeUnit.SECONDS));
    assertEquals(409, twice.code());
    assertTrue(twice.getMessage().contains("'bad'"), twice.getMessage());
    await(w.put("still", new JsonObject()));
    awaitRunning(s, Set.of("still"));

    // The node-scoped address answers malformed messages with 400, and goes on serving.
    String address = "cloister.workers.bad." + ((io.vertx.core.internal.VertxInternal) nodes.get(1).vertx).clusterManager().getNodeId();
    for (Object body : new Object[]{"text", new JsonObject(), new JsonObject().put("op", "call"),
      new JsonObject().put("op", "drop").put("key", "k").put("message", new JsonObject()),
      new JsonObject().put("op", "call").put("key", 5).put("message", new JsonObject()),
      new JsonObject().put("op", "call").put("key", "k").put("message", "x")}) {
      ReplyException e = assertThrows(ReplyException.class, () -> nodes.get(0).vertx.eventBus().request(address, body)
        .await(10, TimeUnit.SECONDS), String.valueOf(body));
      assertEquals(400, e.failureCode(), e.getMessage());
    }
    // Fuzzed: random JSON shapes and scalars never get anything but a failure reply with a code.
    java.util.Random random = new java.util.Random(20261202);
    Object[] values = {null, 1, -1L, 2.5, true, "", "k", "x".repeat(2000), new JsonObject(), new io.vertx.core.json.JsonArray()};
    for (int i = 0; i < 200; i++) {
      JsonObject body = new JsonObject();
      for (String field : new String[]{"op", "key", "message", "extra"}) {
        int pick = random.nextInt(values.length + 2);
        if (pick == values.length) {
          body.put(field, field.equals("op") ? "call" : "nope");
        } else if (pick < values.length) {
          body.put(field, values[pick]);
        }
      }
      ReplyException e = assertThrows(ReplyException.class, () -> nodes.get(0).vertx.eventBus().request(address, body)
        .await(10, TimeUnit.SECONDS), body::encode);
      assertTrue(Set.of(400, 404).contains(e.failureCode()), body.encode() + " -> " + e.failureCode());
    }
    ReplyException unknown = assertThrows(ReplyException.class, () -> nodes.get(0).vertx.eventBus().request(address,
      new JsonObject().put("op", "call").put("key", "nope").put("message", new JsonObject())).await(10, TimeUnit.SECONDS));
    assertEquals(404, unknown.failureCode());
    await(s.on(0).close());
    await(s.on(1).close());
    // Closed, the name is free again.
    await(await(ShardedWorkers.start(nodes.get(0).vertx, "bad", new WorkersOptions(), new RecordingWorker("x", null)))
      .close());
  }
}
