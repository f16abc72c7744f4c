package dev.cloister.impl.workers;

import dev.cloister.CloisterException;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;

/**
 * Runs the keys whose leases this node holds: starts them, schedules and performs their work,
 * applies the outcomes, hands them off when they move and stops them.
 */
final class RunningKeys {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);

  private final SetState set;

  RunningKeys(SetState set) {
    this.set = set;
  }

  /**
   * Starts a key whose cell's segment this node holds, with its stored payload.
   *
   * @param key the key
   * @param position its position (see {@link CellLease#position})
   * @param stored the stored payload
   */
  void begin(String key, long position, String stored) {
    JsonObject payload;
    try {
      payload = new JsonObject(stored);
    } catch (DecodeException e) {
      log.warn("Worker set '" + set.name + "': key '" + key + "' has a payload that is not JSON; it starts with {}");
      payload = new JsonObject();
    }
    JsonObject first = payload;
    KeyRunner r = new KeyRunner(key, stored, position);
    set.runners.put(r);
    r.submit(() -> {
      r.started = true;
      // The payload decoded here unless a put changed it while the start waited in the mailbox.
      JsonObject now = stored.equals(r.stored) ? first : r.payload();
      return set.here(SetState.call(() -> set.worker.start(key, now))).andThen(ar -> {
        if (ar.failed()) {
          log.warn("Worker set '" + set.name + "': start of '" + key + "' failed: " + ar.cause());
        }
        if (r.phase == KeyRunner.Phase.STARTING) {
          r.phase = KeyRunner.Phase.RUNNING;
          set.localKeys.add(key);
          schedule(r, set.options.getTick());
          if (set.performAfterStart.remove(key)) {
            requestPerform(r);
          }
        }
      });
    });
  }

  private void schedule(KeyRunner r, long delay) {
    if (r.timer >= 0) {
      set.vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    if (delay <= 0 || r.phase != KeyRunner.Phase.RUNNING) {
      return;
    }
    r.timer = set.context.setTimer(delay, id -> {
      r.timer = -1;
      requestPerform(r);
    });
  }

  /** Queues one perform of a running key, unless one is queued already. */
  void requestPerform(KeyRunner r) {
    if (r.performQueued || r.phase != KeyRunner.Phase.RUNNING) {
      return;
    }
    r.performQueued = true;
    r.submit(() -> perform(r));
  }

  private Future<Void> perform(KeyRunner r) {
    r.performQueued = false;
    if (r.phase != KeyRunner.Phase.RUNNING || !set.quorate) {
      return Future.succeededFuture();
    }
    Promise<Void> done = set.context.promise();
    Future<WorkOutcome> answer = set.here(SetState.call(() -> set.worker.perform(r.key, r.payload())));
    if (answer.isComplete()) {
      performed(r, answer, done); // no timeout to arm: most performs answer at once
      return done.future();
    }
    long timer = set.context.setTimer(set.options.getPerformTimeout(), id -> {
      if (!r.abandonLogged) {
        r.abandonLogged = true;
        log.warn("Worker set '" + set.name + "': perform of '" + r.key + "' took over " + set.options.getPerformTimeout()
          + " ms and was abandoned (logged once per key); the key keeps running");
      }
      schedule(r, set.options.getTick());
      done.tryComplete();
    });
    answer.onComplete(ar -> {
      if (set.vertx.cancelTimer(timer)) {
        performed(r, ar, done);
      } // else abandoned
    });
    return done.future();
  }

  private void performed(KeyRunner r, AsyncResult<WorkOutcome> ar, Promise<Void> done) {
    // A key that is leaving still takes its outcome: the hand-off that waits behind this perform
    // carries a replaced payload, and a halt or rename ends the key here instead (dropped, a
    // replace was lost and a halted key moved on to run again).
    if (r.phase == KeyRunner.Phase.STOPPED) {
      done.complete();
      return;
    }
    if (ar.failed() || ar.result() == null) {
      log.debug("Worker set '" + set.name + "': perform of '" + r.key + "' failed: " + ar.cause());
      schedule(r, set.options.getTick());
      done.complete();
      return;
    }
    apply(r, ar.result()).onComplete(x -> done.complete());
  }

  private Future<?> apply(KeyRunner r, WorkOutcome outcome) {
    switch (outcome.kind()) {
      case REPLACE -> {
        String enc = outcome.payload().encode();
        r.stored = enc;
        return set.write(() -> set.store.replacePayload(r.key, enc))
          .andThen(x -> schedule(r, set.options.getTick()));
      }
      case RESCHEDULE -> {
        schedule(r, outcome.delay());
        return Future.succeededFuture();
      }
      case HALT -> {
        // The removal is queued before the stop: stopping cancels a hand-off waiting behind this
        // perform, which lets a close go on, and a close waits only for the writes already queued.
        Future<String> removed = set.write(() -> set.store.removePayload(r.key));
        return finishWithWrite(r, "halted", removed);
      }
      case RENAME -> {
        String newKey;
        String enc;
        try {
          newKey = KeyRules.key(outcome.newKey());
          enc = KeyRules.json("payload", outcome.payload());
        } catch (CloisterException e) {
          log.warn("Worker set '" + set.name + "': '" + r.key + "' asked for a bad rename (" + e.getMessage()
            + "); it keeps running");
          schedule(r, set.options.getTick());
          return Future.succeededFuture();
        }
        // The new key first: a crash between the two writes leaves both, never neither.
        return set.write(() -> set.store.putPayload(newKey, enc)).compose(x -> {
          Future<String> removed = set.write(() -> set.store.removePayload(r.key));
          return finishWithWrite(r, "renamed", removed);
        });
      }
      default -> {
        schedule(r, set.options.getTick());
        return Future.succeededFuture();
      }
    }
  }

  /** Stops a key here: no callback follows for it. */
  void finish(KeyRunner r, String reason) {
    finish(r, reason, null);
  }

  /**
   * Stops a key here, {@code stop} getting a copy of {@code answer} (what {@code handOff} answered:
   * the payload the key carries), or, when it is null, the stored payload decoded.
   */
  private void finish(KeyRunner r, String reason, JsonObject answer) {
    if (r.phase == KeyRunner.Phase.STOPPED) {
      return;
    }
    r.phase = KeyRunner.Phase.STOPPED;
    if (r.timer >= 0) {
      set.vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    r.cancelQueued();
    set.runners.remove(r);
    set.localKeys.remove(r.key);
    set.performAfterStart.remove(r.key);
    if (r.started) {
      try {
        set.worker.stop(r.key, forStop(r, answer), reason);
      } catch (RuntimeException e) {
        log.warn("Worker set '" + set.name + "': stop of '" + r.key + "' threw " + e);
      }
    }
  }

  /**
   * @return the payload for {@code stop}: a copy of what {@code handOff} answered (cheaper than
   *     decoding its encoding again), or the stored payload decoded when there is no answer
   */
  private static JsonObject forStop(KeyRunner r, JsonObject answer) {
    if (answer != null) {
      try {
        return answer.copy();
      } catch (RuntimeException e) {
        // a value of a type JSON has no copy for: its stored encoding instead
      }
    }
    return r.payload();
  }

  /**
   * Hands a key off: waits for the callback in flight, hands off and stops, stores the carried
   * payload, then frees its part of the cell's lease. The key's segment is marked as handing off
   * first only when the hand-off may take a while: a callback is in flight, or {@code handOff} has
   * not answered within {@link #markAfterMs} (the gaining node waits {@code handoffTimeout} for an
   * unmarked segment and {@code performTimeout + 2 × handoffTimeout} for a marked one). Idle keys,
   * nearly every key of a rebalance, move with no mark: their cell is freed once they stopped.
   */
  Future<Void> leave(KeyRunner r, String reason) {
    if (r.phase == KeyRunner.Phase.STOPPED) {
      return Future.succeededFuture();
    }
    if (r.phase == KeyRunner.Phase.LEAVING) {
      // Already moving (a ring change came first): a close must wait for that hand-off too, or it
      // would end while a perform is still to land, and a halt or replace after it would be lost.
      return r.leaving != null ? r.leaving : Future.succeededFuture();
    }
    r.phase = KeyRunner.Phase.LEAVING;
    if (r.timer >= 0) {
      set.vertx.cancelTimer(r.timer);
      r.timer = -1;
    }
    r.cancelQueued();
    Mark mark = new Mark(r);
    if (r.busy()) {
      mark.now();
    }
    Promise<Void> done = set.context.promise();
    r.submit(new KeyRunner.Action() {
      @Override
      public Future<?> run() {
        if (r.phase == KeyRunner.Phase.STOPPED) {
          // The perform before this halted or renamed the key: it ended here, nothing to hand off.
          // Its release may have come before the mark landed; tidy again after it.
          return mark.landed().transform(x -> release(r)).onComplete(x -> done.complete());
        }
        // The mailbox ran the start (if it was queued) before this: a started key is handed off.
        Future<Carried> carried = r.started ? handOff(r) : Future.succeededFuture(new Carried(r.stored, null));
        long slow = carried.isComplete() ? -1 : set.context.setTimer(markAfterMs(), id -> mark.now());
        // The hand-off ends once the mark, if there is one, landed: the cell's writes go in order.
        return carried.transform(x -> {
          if (slow >= 0) {
            set.vertx.cancelTimer(slow);
          }
          return mark.landed();
        }).transform(x -> carried).<Object>compose(c -> {
          if (r.started && "moved".equals(reason)) {
            set.metrics.handoff();
          }
          String payload = c.text();
          boolean changed = !payload.equals(r.stored);
          r.stored = payload;
          if (changed) {
            return finishWithWrite(r, reason, c.answer(), set.write(() -> set.store.replacePayload(r.key, payload)))
              .mapEmpty();
          }
          finish(r, reason, c.answer());
          return release(r).mapEmpty();
        }).onComplete(x -> done.complete());
      }

      @Override
      public void cancel() {
        done.tryComplete();
      }
    });
    r.leaving = done.future();
    return r.leaving;
  }

  /**
   * How long a hand-off may take before the lease is marked as handing off: a quarter of
   * {@code handoffTimeout}, so that the mark lands well before a gaining node that looked at the
   * lease when the ring changed stops waiting for an unmarked one.
   */
  private long markAfterMs() {
    return Math.max(1, set.options.getHandoffTimeout() / 4);
  }

  /** The mark of one key's position in its cell as handing off: written at most once, when needed. Context only. */
  private final class Mark {
    private final KeyRunner r;
    private Future<CellLease> written;

    Mark(KeyRunner r) {
      this.r = r;
    }

    /** Writes the mark, unless written already or the key has stopped here. */
    void now() {
      if (written == null && r.phase != KeyRunner.Phase.STOPPED) {
        r.marked = true;
        written = set.mark(r);
        // The cell's other keys need not wait for this one (see SetState#releaseWhenSettled).
        set.releaseWhenSettled(r.cell());
      }
    }

    /** @return completes once the mark, if one was written, has landed (or failed) */
    Future<?> landed() {
      return written == null ? Future.succeededFuture() : written.transform(x -> Future.succeededFuture());
    }
  }

  /**
   * Stops a key whose stop comes with a last write (a carried payload, a removal) and frees its
   * position only once that write landed. The key counts as settling before it stops: a stop can
   * complete a close's wait for its hand-offs at once, in the same turn, and the close's tidy-up
   * must not free the position under the write (seen once: the next owner started a halted key
   * with its old payload).
   */
  private Future<?> finishWithWrite(KeyRunner r, String reason, Future<?> write) {
    return finishWithWrite(r, reason, null, write);
  }

  private Future<?> finishWithWrite(KeyRunner r, String reason, JsonObject answer, Future<?> write) {
    set.runners.settling(r);
    finish(r, reason, answer);
    return write.eventually(() -> {
      set.runners.settled(r);
      return release(r);
    });
  }

  /**
   * After a key stopped here: frees the parts of its cell this node no longer owns, once no other
   * key there is still on its way out (see {@link SetState#releaseWhenSettled}). A key this node
   * still owns (deleted, halted) leaves its segment held.
   */
  private Future<?> release(KeyRunner r) {
    return set.closing || !set.mineAt(r.position) ? set.releaseWhenSettled(r.cell()) : Future.succeededFuture();
  }

  /**
   * The payload a hand-off carries.
   *
   * @param text the payload to store, encoded
   * @param answer what {@code handOff} answered, copied for {@code stop}; null when it answered nothing usable
   */
  private record Carried(String text, JsonObject answer) {
  }

  /**
   * @return the payload to carry: what {@code handOff} answered, or the last stored one. The worker
   *     gets a copy of the payload decoded once; an answer equal to it carries the text it was
   *     decoded from, without encoding it again (most hand-offs of a rebalance change nothing)
   */
  private Future<Carried> handOff(KeyRunner r) {
    String givenText = r.stored;
    JsonObject given = r.payload();
    Future<JsonObject> answer = set.here(SetState.call(() -> set.worker.handOff(r.key, given.copy())));
    if (answer.isComplete()) {
      // No timeout to arm: most hand-offs answer at once.
      return Future.succeededFuture(carried(r, givenText, given, answer));
    }
    Promise<Carried> out = set.context.promise();
    long timer = set.context.setTimer(set.options.getHandoffTimeout(), id -> {
      log.warn("Worker set '" + set.name + "': hand-off of '" + r.key + "' took over " + set.options.getHandoffTimeout()
        + " ms; the last stored payload moves");
      out.tryComplete(new Carried(r.stored, null));
    });
    answer.onComplete(ar -> {
      set.vertx.cancelTimer(timer);
      out.tryComplete(carried(r, givenText, given, ar));
    });
    return out.future();
  }

  /** @return what a hand-off answered, or the last stored payload when it answered nothing usable */
  private Carried carried(KeyRunner r, String givenText, JsonObject given, AsyncResult<JsonObject> ar) {
    Throwable err = ar.cause();
    if (ar.succeeded() && ar.result() != null) {
      JsonObject answer = ar.result();
      try {
        return new Carried(answer.equals(given) ? givenText : answer.encode(), answer);
      } catch (RuntimeException e) {
        err = e;
      }
    }
    if (err != null) {
      log.warn("Worker set '" + set.name + "': hand-off of '" + r.key + "' failed (" + err
        + "); the last stored payload moves");
    }
    return new Carried(r.stored, null);
  }

  /**
   * Stops every key at once without hand-off or release: quorum lost, or the node gone.
   *
   * @param reason what the workers are told
   */
  void stopAll(String reason) {
    // In chunks; meanwhile quorate is false, so no perform, call or cast starts for the keys not
    // stopped yet.
    set.chunked(new ArrayList<>(set.runners.values()), r -> finish(r, reason));
  }
}
