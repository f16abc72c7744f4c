package dev.cloister.workers;

import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.WorkersOptions;
import dev.cloister.impl.transport.LocalCaches;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.infinispan.manager.EmbeddedCacheManager;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
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
 * A worker set on a Vert.x that is not clustered: its Cloister is a node of one ({@code NONODE})
 * and runs every key, with the whole contract of a clustered set, its keys kept for as long as the
 * node's Cloister runs.
 */
class UnclusteredWorkersTest {

  private static final int KEYS = 40;

  private static Set<String> keys(int n) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i < n; i++) {
      out.add("k" + i);
    }
    return out;
  }

  @Test
  void aNodeOfOneRunsEveryKeyWithTheWholeContract() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      String deployment = await(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("solo"))));
      WorkHistory history = new WorkHistory();
      RecordingWorker worker = new RecordingWorker("solo", history);
      ShardedWorkers set = await(ShardedWorkers.start(vertx, "solo-set", new WorkersOptions().setTick(0), worker));
      for (int i = 0; i < KEYS; i++) {
        await(set.put("k" + i, new JsonObject().put("n", i)));
      }
      eventually("every key runs here", () -> set.localKeys().equals(keys(KEYS)), set::localKeys);
      assertTrue(history.eachRunsOnce(keys(KEYS)), history.events()::toString);
      assertEquals("solo", set.ownerOf("k7"));
      assertEquals(KEYS, await(set.size()));
      assertEquals(3, await(set.get("k3")).getInteger("n"));
      assertNull(await(set.get("nope")));

      // Calls and casts reach the key's worker; a put reaches its next perform without a restart.
      JsonObject reply = await(set.call("k1", new JsonObject().put("x", 1)));
      assertEquals("solo", reply.getString("node"));
      assertEquals(1, reply.getJsonObject("echo").getInteger("x"));
      CloisterException unknown = assertThrows(CloisterException.class, () -> set.call("nope", new JsonObject())
        .await(30, TimeUnit.SECONDS));
      assertEquals(CloisterException.NOT_FOUND, unknown.code());
      set.cast("k1", new JsonObject().put("y", 2));
      eventually("the cast arrives", () -> worker.casts.containsKey("k1"), worker.casts::toString);
      await(set.put("k1", new JsonObject().put("n", 100)));
      eventually("the put reaches a perform", () -> worker.performed.getOrDefault("k1", List.of()).stream()
        .anyMatch(p -> p.getInteger("n") == 100), worker.performed::toString);

      // Outcomes: replace stores, halt removes, rename moves the key; delete stops it.
      worker.outcome = (k, p) -> switch (k) {
        case "k2" -> WorkOutcome.replace(p.copy().put("done", true));
        case "k3" -> WorkOutcome.halt();
        case "k4" -> WorkOutcome.rename("k4b", p);
        default -> WorkOutcome.ok();
      };
      for (String k : List.of("k2", "k3", "k4")) {
        await(set.put(k, new JsonObject().put("n", 0)));
      }
      eventually("replace stored", () -> await(set.get("k2")).getBoolean("done", false), () -> await(set.get("k2")));
      eventually("halt removed the key", () -> await(set.get("k3")) == null && !set.localKeys().contains("k3"),
        set::localKeys);
      eventually("rename moved the key", () -> set.localKeys().contains("k4b") && !set.localKeys().contains("k4"),
        set::localKeys);
      assertTrue(worker.stops.get("k3").contains("halted"), worker.stops::toString);
      assertTrue(worker.stops.get("k4").contains("renamed"), worker.stops::toString);
      worker.outcome = (k, p) -> WorkOutcome.ok();
      assertTrue(await(set.delete("k5")));
      assertFalse(await(set.delete("k5")));
      eventually("delete stopped the key", () -> worker.stops.getOrDefault("k5", List.of()).contains("deleted"),
        worker.stops::toString);
      CloisterException bad = assertThrows(CloisterException.class, () -> set.put("", new JsonObject())
        .await(30, TimeUnit.SECONDS));
      assertEquals(CloisterException.BAD_REQUEST, bad.code());

      // Closed: every key stops as "closed" (no other node to move to); the keys stay for the next start.
      await(set.close());
      assertTrue(set.localKeys().isEmpty(), set.localKeys()::toString);
      assertTrue(worker.stops.get("k6").contains("closed"), worker.stops::toString);
      assertTrue(history.overlaps().isEmpty(), history.overlaps()::toString);
      Set<String> left = keys(KEYS);
      left.removeAll(List.of("k3", "k4", "k5"));
      left.add("k4b");
      WorkHistory again = new WorkHistory();
      ShardedWorkers reopened = await(ShardedWorkers.start(vertx, "solo-set", new WorkersOptions().setTick(0),
        new RecordingWorker("solo", again)));
      eventually("the kept keys run again", () -> reopened.localKeys().equals(left), reopened::localKeys);
      assertEquals(left.size(), await(reopened.size()));
      assertTrue(await(reopened.get("k2")).getBoolean("done"), "a replaced payload is kept");
      await(reopened.close());

      // Once the Cloister stopped, its caches are gone and no set starts.
      EmbeddedCacheManager caches = await(vertx.executeBlocking(() -> LocalCaches.of(vertx)));
      await(vertx.undeploy(deployment));
      assertTrue(caches.getStatus().isTerminated(), "the local caches stop with the Cloister: " + caches.getStatus());
      assertThrows(RuntimeException.class, () -> ShardedWorkers.start(vertx, "solo-set", new WorkersOptions(),
        new RecordingWorker("solo", new WorkHistory())).await(30, TimeUnit.SECONDS));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void whatAHandOffAnswersIsWhatStopGetsAndWhatTheKeyKeeps() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      await(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("solo"))));
      RecordingWorker worker = new RecordingWorker("solo", new WorkHistory());
      ShardedWorkers set = await(ShardedWorkers.start(vertx, "carried", new WorkersOptions().setTick(0), worker));
      int n = 9;
      for (int i = 0; i < n; i++) {
        await(set.put("k" + i, new JsonObject().put("n", i)));
      }
      eventually("every key runs here", () -> set.localKeys().equals(keys(n)), set::localKeys);
      // k0, k3, k6 change the object they were given and answer it; k1, k4, k7 answer it as it is;
      // k2, k5, k8 fail, so the last stored payload moves.
      worker.handOff = (k, p) -> switch (p.getInteger("n") % 3) {
        case 0 -> Future.succeededFuture(p.put("carried", true));
        case 1 -> Future.succeededFuture(p);
        default -> Future.failedFuture("cannot hand off");
      };
      await(set.close());
      for (int i = 0; i < n; i++) {
        JsonObject expected = new JsonObject().put("n", i);
        if (i % 3 == 0) {
          expected.put("carried", true);
        }
        assertEquals(List.of(expected), worker.stopPayloads.get("k" + i), "stop of k" + i);
      }
      ShardedWorkers reopened = await(ShardedWorkers.start(vertx, "carried", new WorkersOptions().setTick(0),
        new RecordingWorker("solo", new WorkHistory())));
      for (int i = 0; i < n; i++) {
        JsonObject expected = new JsonObject().put("n", i);
        if (i % 3 == 0) {
          expected.put("carried", true);
        }
        assertEquals(expected, await(reopened.get("k" + i)), "kept payload of k" + i);
      }
      await(reopened.close());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void eachVertxKeepsItsOwnKeysUntilItsCloisterStops() throws Exception {
    Vertx one = Vertx.vertx();
    Vertx two = Vertx.vertx();
    try {
      await(one.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("one"))));
      await(two.deployVerticle(new CloisterVerticle(new CloisterOptions().setNodeName("two"))));
      ShardedWorkers a = await(ShardedWorkers.start(one, "same-name", new WorkersOptions(),
        new RecordingWorker("one", new WorkHistory())));
      ShardedWorkers b = await(ShardedWorkers.start(two, "same-name", new WorkersOptions(),
        new RecordingWorker("two", new WorkHistory())));
      await(a.put("only-in-one", new JsonObject()));
      assertEquals(1L, await(a.size()));
      assertEquals(0L, await(b.size()));
      assertNull(await(b.get("only-in-one")));
      // A fence is about peers that fall silent; a node of one has none, so any fence will do.
      assertTrue(await(ShardedWorkers.start(two, "fenced", new WorkersOptions().setFence(1),
        new RecordingWorker("two", new WorkHistory()))) != null);

      EmbeddedCacheManager caches = await(one.executeBlocking(() -> LocalCaches.of(one)));
      assertTrue(caches.getStatus().allowInvocations());
      one.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(caches.getStatus().isTerminated(), "the local caches stop with the Cloister: " + caches.getStatus());
      assertEquals(List.of(), a.localKeys().stream().toList(), "the set closed first");
    } finally {
      one.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      two.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
