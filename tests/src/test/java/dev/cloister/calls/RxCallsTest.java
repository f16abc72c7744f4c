package dev.cloister.calls;

import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.StateChange;
import dev.cloister.rxjava3.Cloister;
import dev.cloister.junit5.CloisterCluster;
import io.reactivex.rxjava3.core.Maybe;
import io.reactivex.rxjava3.disposables.Disposable;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generated RxJava 3 binding: a Flowable of state changes and Singles of per-node replies. */
class RxCallsTest {

  @Test
  void aFlowableOfStateChangesSeesTheRehashWhenANodeJoins() {
    try (CloisterCluster cluster = CloisterCluster.builder().nodes(2).consensus(2).start()) {
      Cloister rx = Cloister.newInstance(cluster.node(0).cloister());

      List<String> seen = new CopyOnWriteArrayList<>();
      Disposable sub = rx.stateStream().toFlowable()
        .filter(c -> c.getTo() != CloisterStatus.STOPPING)
        .map(StateChange::toString)
        .subscribe(seen::add);

      int added = cluster.addNode();
      cluster.eventually(() -> assertTrue(seen.contains("REHASHING->READY"), "REHASHING->READY on node0, saw " + seen));
      assertEquals(List.of("READY->REHASHING", "REHASHING->READY"), seen.subList(0, 2));
      cluster.eventually(() -> assertEquals(3, rx.siblings().size(), "node0 sees three siblings"));

      Cloister.newInstance(cluster.node(added).cloister()).register("double",
        args -> Maybe.just(args.getInteger(0) * 2));
      List<NodeReply> replies = rx.multiapply(List.of("node2", "node1"), "double", new JsonArray().add(21)).blockingGet();
      assertEquals(42, replies.get(0).getBody());
      assertEquals(404, replies.get(1).getFailureCode());
      sub.dispose();
    }
  }

  @Test
  void theStreamEndsWhenTheNodeStops() {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      dev.cloister.Cloister core = dev.cloister.Cloister.create(vertx, new dev.cloister.CloisterOptions());
      Cloister rx = Cloister.newInstance(core);
      List<StateChange> seen = new CopyOnWriteArrayList<>();
      io.reactivex.rxjava3.core.Completable done = rx.stateStream().toFlowable().doOnNext(seen::add).ignoreElements().cache();
      done.subscribe();
      assertEquals(CloisterStatus.NONODE, rx.start().blockingGet().getStatus());
      List<NodeReply> self = rx.multicall(List.of("cloister@nonode"), "nowhere", "x").blockingGet();
      assertEquals(404, self.get(0).getFailureCode());
      rx.close().blockingAwait();
      done.blockingAwait();
      assertEquals("[DOWN->ASSEMBLING, ASSEMBLING->REHASHING, REHASHING->NONODE, NONODE->STOPPING, STOPPING->STOPPED]",
        seen.toString());
      assertTrue(seen.get(seen.size() - 1).getState().getStatus() == CloisterStatus.STOPPED);
    } finally {
      vertx.close().await();
    }
  }
}
