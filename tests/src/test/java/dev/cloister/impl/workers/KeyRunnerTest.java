package dev.cloister.impl.workers;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A key's mailbox: one callback at a time, in order; what waits when the key stops is cancelled. */
class KeyRunnerTest {

  private static KeyRunner runner() {
    return new KeyRunner("k", null);
  }

  @Test
  void theNextActionWaitsForTheOneInFlight() {
    KeyRunner r = runner();
    List<String> log = new ArrayList<>();
    Promise<Void> first = Promise.promise();
    r.submit(() -> {
      log.add("perform begins");
      return first.future();
    });
    r.submit(() -> {
      log.add("call");
      return Future.succeededFuture();
    });
    r.submit(() -> {
      log.add("hand-off");
      return Future.succeededFuture();
    });
    assertEquals(List.of("perform begins"), log);
    first.complete();
    assertEquals(List.of("perform begins", "call", "hand-off"), log);
  }

  @Test
  void actionsWaitingWhenTheKeyStopsAreCancelledNotRun() {
    KeyRunner r = runner();
    List<String> log = new ArrayList<>();
    Promise<Void> first = Promise.promise();
    r.submit(() -> first.future());
    r.submit(new KeyRunner.Action() {
      @Override
      public Future<?> run() {
        log.add("ran");
        return Future.succeededFuture();
      }

      @Override
      public void cancel() {
        log.add("cancelled");
      }
    });
    r.phase = KeyRunner.Phase.STOPPED;
    first.complete();
    assertEquals(List.of("cancelled"), log);
    r.submit(new KeyRunner.Action() {
      @Override
      public Future<?> run() {
        log.add("ran late");
        return Future.succeededFuture();
      }

      @Override
      public void cancel() {
        log.add("cancelled late");
      }
    });
    assertEquals(List.of("cancelled", "cancelled late"), log);
  }

  @Test
  void anActionThatThrowsDoesNotJamTheMailbox() {
    KeyRunner r = runner();
    List<String> log = new ArrayList<>();
    r.submit(() -> {
      throw new IllegalStateException("boom");
    });
    r.submit(() -> {
      log.add("next");
      return null;
    });
    assertEquals(List.of("next"), log);
  }
}
