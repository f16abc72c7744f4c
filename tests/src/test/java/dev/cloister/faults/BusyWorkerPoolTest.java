package dev.cloister.faults;

import dev.cloister.CloisterStatus;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import dev.cloister.junit5.CloisterTest;
import io.vertx.core.Future;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application's blocking work fills its Vert.x worker pool on one node (every thread waits, more
 * tasks queue): that node's Cloister still follows a join and a graceful leave, and its worker set
 * still starts the keys it owns. Cloister blocks on threads of its own; on the pool it shared with
 * the application before, the node's reads of the member records waited behind the application's
 * tasks and its state stayed on the old members.
 */
class BusyWorkerPoolTest {

  /** A worker that notes which keys started. */
  private static final class Starts implements Worker {
    final Set<String> started = ConcurrentHashMap.newKeySet();

    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      return Future.succeededFuture(WorkOutcome.ok());
    }

    @Override
    public Future<Void> start(String key, JsonObject payload) {
      started.add(key);
      return Future.succeededFuture();
    }
  }

  @Test
  @CloisterTest(nodes = 2, consensus = 1)
  void aNodeWhoseWorkerPoolTheApplicationFillsStillFollowsTheCluster(CloisterCluster cluster) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try {
      follows(cluster, release);
    } finally {
      release.countDown(); // before the kit closes the cluster
    }
  }

  private static void follows(CloisterCluster cluster, CountDownLatch release) throws Exception {
    cluster.awaitConverged();
    CloisterNode busy = cluster.node(0);
    Starts starts = new Starts();
    ShardedWorkers busySet = ShardedWorkers.start(busy.vertx(), "busy", new WorkersOptions().setTick(0), starts)
      .await(60, TimeUnit.SECONDS);
    ShardedWorkers otherSet = ShardedWorkers.start(cluster.node(1).vertx(), "busy", new WorkersOptions().setTick(0),
      new Starts()).await(60, TimeUnit.SECONDS);

    // The application's blocking tasks: one for every thread of the node's worker pool, and more.
    int threads = ((ThreadPoolExecutor) ((VertxInternal) busy.vertx()).workerPool().executor()).getMaximumPoolSize();
    AtomicInteger running = new AtomicInteger();
    for (int i = 0; i < threads + 10; i++) {
      busy.vertx().executeBlocking(() -> {
        running.incrementAndGet();
        return release.await(120, TimeUnit.SECONDS);
      }, false);
    }
    cluster.eventually(() -> assertEquals(threads, running.get(), "every worker thread of " + busy.name() + " is held"));

    int joiner = cluster.addNode();
    cluster.awaitConverged();
    String name = cluster.node(joiner).name();
    assertTrue(busy.state().memberNames().contains(name), busy.name() + " sees the joiner: " + busy.state().memberNames());
    cluster.stop(joiner);
    cluster.awaitConverged(0, 1);
    assertEquals(CloisterStatus.READY, busy.state().getStatus());
    assertEquals(2, busy.state().memberNames().size(), busy.name() + " saw the leave: " + busy.state().memberNames());

    List<String> mine = IntStream.range(0, 200).mapToObj(i -> "k" + i).filter(k -> busy.name().equals(busySet.ownerOf(k)))
      .limit(5).toList();
    assertEquals(5, mine.size(), busy.name() + " owns some of 200 keys");
    for (String key : mine) {
      otherSet.put(key, new JsonObject().put("k", key)).await(60, TimeUnit.SECONDS);
    }
    cluster.eventually(() -> assertTrue(starts.started.containsAll(mine), busy.name() + " started its keys: "
      + starts.started + " of " + mine));
    assertEquals(threads, running.get(), "the application's tasks held the pool throughout");
    assertEquals(1, release.getCount());
  }
}
