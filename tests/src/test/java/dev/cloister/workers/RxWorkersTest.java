package dev.cloister.workers;

import dev.cloister.CloisterException;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.rxjava3.ShardedWorkers;
import dev.cloister.testing.SetRings;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.json.JsonObject;
import io.vertx.rxjava3.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generated RxJava 3 binding of sharded workers: a Single of the set, then Singles, Maybes and Completables. */
class RxWorkersTest {

  @Test
  void aSetStartedFromRxRunsItsKeysOnTheirOwnersAndAnswersInRxTypes() {
    try (CloisterCluster cluster = CloisterCluster.builder().nodes(2).consensus(2).start()) {
      WorkHistory history = new WorkHistory();
      List<ShardedWorkers> sets = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Vertx vertx = Vertx.newInstance(cluster.node(i).vertx());
        RecordingWorker worker = new RecordingWorker(cluster.node(i).name(), history);
        sets.add(ShardedWorkers.start(vertx, "rx", new WorkersOptions().setTick(0), worker).blockingGet());
      }
      // Puts before both nodes see both in the ring could start a key on one and hand it to the other.
      SetRings.awaitAgreed(sets.stream().map(ShardedWorkers::getDelegate).toList());
      ShardedWorkers rx = sets.get(0);

      rx.put("a", new JsonObject().put("n", 1)).blockingAwait();
      assertTrue(rx.putNew("b", new JsonObject().put("n", 2)).blockingGet());
      assertEquals(false, rx.putNew("b", new JsonObject()).blockingGet(), "b exists");
      cluster.eventually(() -> assertTrue(history.eachRunsOnce(Set.of("a", "b")), "each key runs once: " + history.running()));
      cluster.eventually(() -> {
        String owner = rx.ownerOf("a");
        ShardedWorkers onOwner = sets.get(owner.equals(cluster.node(0).name()) ? 0 : 1);
        assertTrue(onOwner.localKeys().contains("a"), "a runs on its owner " + owner);
      });

      assertEquals(new JsonObject().put("n", 1), rx.get("a").blockingGet());
      assertNull(rx.get("nobody").blockingGet(), "an unknown key is an empty Maybe, not an error");
      JsonObject reply = sets.get(1).call("a", new JsonObject().put("hi", true)).blockingGet();
      assertEquals(rx.ownerOf("a"), reply.getString("node"), "the call reached the owner");
      assertEquals(2L, rx.size().blockingGet());

      CloisterException bad = assertThrows(CloisterException.class, () -> rx.get("").blockingGet());
      assertEquals(400, bad.code());
      assertTrue(rx.delete("a").blockingGet());
      assertEquals(false, rx.delete("a").blockingGet(), "gone already");
      cluster.eventually(() -> assertEquals(1L, rx.size().blockingGet()));
      sets.forEach(s -> s.close().blockingAwait());
    }
  }
}
