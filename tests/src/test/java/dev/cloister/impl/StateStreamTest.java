package dev.cloister.impl;

import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state stream's back-pressure: a paused reader keeps the newest changes, then ends on STOPPED. */
class StateStreamTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    await(vertx.close());
  }

  @Test
  void aPausedStreamKeepsTheNewestChangesAndDeliversThemAsFetched() {
    Context context = vertx.getOrCreateContext();
    List<StateStream> detached = new CopyOnWriteArrayList<>();
    StateStream stream = new StateStream(context, detached::add);
    List<Long> seen = new CopyOnWriteArrayList<>();
    AtomicBoolean ended = new AtomicBoolean();
    stream.pause().handler(c -> seen.add(c.getState().getVersion())).endHandler(v -> ended.set(true));

    int total = StateStream.CAPACITY + 44;
    onContext(context, () -> {
      for (int i = 0; i < total; i++) {
        stream.onStateChange(CloisterStatus.READY, CloisterStatus.REHASHING, new CloisterState().setVersion(i));
      }
    });
    assertTrue(seen.isEmpty(), "nothing is delivered while paused");

    stream.fetch(2);
    onContext(context, () -> { });
    assertEquals(List.of(44L, 45L), seen, "the oldest were dropped, the newest kept");

    stream.resume();
    onContext(context, () -> stream.onStateChange(CloisterStatus.STOPPING, CloisterStatus.STOPPED,
      new CloisterState().setVersion(-1)));
    assertEquals(StateStream.CAPACITY + 1, seen.size());
    assertEquals(-1L, seen.get(seen.size() - 1));
    assertTrue(ended.get());
    assertEquals(List.of(stream), detached);
  }

  @Test
  void aStreamWithoutHandlerStopsListening() {
    Context context = vertx.getOrCreateContext();
    List<StateStream> detached = new CopyOnWriteArrayList<>();
    StateStream stream = new StateStream(context, detached::add);
    AtomicBoolean delivered = new AtomicBoolean();
    stream.handler(c -> { });
    stream.handler(null);
    assertEquals(List.of(stream), detached, "a stream whose handler is gone detaches");
    onContext(context, () -> stream.onStateChange(CloisterStatus.READY, CloisterStatus.REHASHING, new CloisterState()));
    // Nor does it keep what came meanwhile: a handler set again gets none of it.
    stream.handler(c -> delivered.set(true));
    onContext(context, () -> { });
    assertFalse(delivered.get(), "a change that came while the stream had no handler was kept");
  }

  /** Runs on the context and waits for it, so that everything queued there before has run too. */
  private static void onContext(Context context, Runnable action) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      action.run();
      // Deliveries scheduled by fetch() run before this second hop.
      context.runOnContext(w -> done.complete());
    });
    await(done.future());
  }

}
