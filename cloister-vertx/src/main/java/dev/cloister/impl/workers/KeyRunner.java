package dev.cloister.impl.workers;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;

/**
 * One key running (or starting, or leaving) on this node: its payload, its position, its next
 * perform, and a mailbox that runs its callbacks one at a time. Confined to the set's context.
 *
 * <p>Most keys sit idle, a third of the set on each node: a runner keeps the payload as the text it
 * is stored as (which the key store's replica holds anyway) and decodes it for each callback,
 * rather than keeping a decoded {@link JsonObject} (about 240 bytes for a one-field payload). It
 * holds no lease of its own: the lease of the cell its position falls in says who runs it.
 */
final class KeyRunner {

  /** Where the key is in its life on this node. */
  enum Phase {
    /** The lease is held; {@code start} is running. */
    STARTING,
    /** Started: performs, calls and casts run. */
    RUNNING,
    /** Handing off: no new perform; the hand-off waits for the action in flight. */
    LEAVING,
    /** Stopped: nothing runs for it here any more. */
    STOPPED
  }

  /** One step in the mailbox. */
  interface Action {
    /** @return completes when the step is done */
    Future<?> run();

    /** The step will not run: the key stopped here. */
    default void cancel() {
    }
  }

  final String key;
  Phase phase = Phase.STARTING;
  /** The payload as stored: what the next callback gets, and how a put from another node is told from our own writes. */
  String stored;
  /** The key's position in the ring (see {@link CellLease}). */
  final long position;
  /** Whether this node marked the key's segment as handing off (its hand-off may take a while). */
  boolean marked;
  long timer = -1;
  /** Whether {@code start} was called: from then on the key ends with a {@code stop}. */
  boolean started;
  boolean performQueued;
  boolean abandonLogged;
  /** While {@link Phase#LEAVING}: completes once the hand-off (or the stop that overtook it) is done. */
  Future<Void> leaving;
  private boolean busy;
  private ArrayDeque<Action> queue;

  KeyRunner(String key, String stored) {
    this(key, stored, CellLease.position(key));
  }

  /** @param position the key's position, when the caller has it already (see {@link CellLease#position}) */
  KeyRunner(String key, String stored, long position) {
    this.key = key;
    this.stored = stored;
    this.position = position;
  }

  /** @return the cell of the key's position */
  int cell() {
    return CellLease.cellOf(position);
  }

  /**
   * @return the payload for a callback: a fresh copy of the stored one, so that a worker that
   *     changes the object it was given changes nothing but that copy ({@code replace} stores a new
   *     payload); {@code {}} when the stored text is not JSON
   */
  JsonObject payload() {
    if (stored != null) {
      try {
        return new JsonObject(stored);
      } catch (DecodeException e) {
        // logged once, when the key started
      }
    }
    return new JsonObject();
  }

  /**
   * Runs the action now, or after the ones before it completed.
   *
   * @param action the action
   */
  void submit(Action action) {
    if (phase == Phase.STOPPED) {
      action.cancel();
      return;
    }
    if (busy) {
      if (queue == null) {
        queue = new ArrayDeque<>(2);
      }
      queue.add(action);
      return;
    }
    run(action);
  }

  private void run(Action action) {
    busy = true;
    Future<?> f;
    try {
      f = action.run();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    if (f == null) {
      f = Future.succeededFuture();
    }
    f.onComplete(x -> {
      busy = false;
      Action next = queue == null ? null : queue.poll();
      if (queue != null && queue.isEmpty()) {
        queue = null; // most keys sit idle: no empty mailbox kept for each
      }
      if (next != null) {
        if (phase == Phase.STOPPED) {
          cancelQueued();
          next.cancel();
        } else {
          run(next);
        }
      }
    });
  }

  /** @return whether an action is running for the key now (a perform, a start, a call) */
  boolean busy() {
    return busy;
  }

  /** Cancels every action waiting in the mailbox. */
  void cancelQueued() {
    if (queue != null) {
      Action a;
      while ((a = queue.poll()) != null) {
        a.cancel();
      }
    }
  }
}
