package dev.cloister.impl;

import dev.cloister.CloisterListener;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.StateChange;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The transitions of one node as a {@link ReadStream}, with back-pressure: it listens to the
 * state machine and hands changes to its handler on the node's context, as many as fetched.
 *
 * <p>A stream that is paused (or has no handler yet) keeps the newest {@link #CAPACITY} changes
 * and drops the oldest: the state machine must never wait for a slow reader, and the newest
 * changes are the ones that describe the node now. The stream ends after {@code STOPPED}.
 */
final class StateStream implements ReadStream<StateChange>, CloisterListener {

  /** How many undelivered changes a stream keeps. */
  static final int CAPACITY = 256;

  private static final Logger log = LoggerFactory.getLogger(StateStream.class);

  private final Context context;
  private final Consumer<StateStream> detach;
  // Guarded by this: handlers may be set and demand changed from any thread.
  private final ArrayDeque<StateChange> queue = new ArrayDeque<>();
  private Handler<StateChange> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private boolean ending;
  private boolean ended;

  /**
   * Creates a stream delivering on {@code context}.
   *
   * @param context the node's context, where transitions happen
   * @param detach removes this stream from the node's listeners once it ends
   */
  StateStream(Context context, Consumer<StateStream> detach) {
    this.context = context;
    this.detach = detach;
  }

  @Override
  public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
    synchronized (this) {
      if (ending || ended) {
        return;
      }
      if (queue.size() == CAPACITY) {
        queue.poll();
      }
      queue.add(new StateChange().setFrom(from).setTo(to).setState(state));
      ending = to == CloisterStatus.STOPPED;
    }
    drain();
  }

  /** Ends the stream at once: for a stream made on a node that already stopped. */
  void end() {
    synchronized (this) {
      ending = true;
    }
    context.runOnContext(v -> drain());
  }

  // Runs on the node's context only, so deliveries never overlap and stay in order.
  private void drain() {
    while (true) {
      StateChange next;
      Handler<StateChange> h;
      Handler<Void> end;
      synchronized (this) {
        if (ended) {
          return;
        }
        if (queue.isEmpty()) {
          if (!ending) {
            return;
          }
          ended = true;
          next = null;
          h = null;
          end = endHandler;
        } else if (demand == 0 || handler == null) {
          return;
        } else {
          next = queue.poll();
          if (demand != Long.MAX_VALUE) {
            demand--;
          }
          h = handler;
          end = null;
        }
      }
      if (next == null) {
        detach.accept(this);
        if (end != null) {
          end.handle(null);
        }
        return;
      }
      try {
        h.handle(next);
      } catch (Throwable t) {
        Handler<Throwable> eh;
        synchronized (this) {
          eh = exceptionHandler;
        }
        if (eh != null) {
          eh.handle(t);
        } else {
          log.error("A state stream handler failed on " + next, t);
        }
      }
    }
  }

  @Override
  public synchronized StateStream exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public StateStream handler(Handler<StateChange> handler) {
    synchronized (this) {
      this.handler = handler;
      if (handler == null) {
        // No handler means no reader: stop listening rather than buffer for nobody.
        queue.clear();
        ended = true;
      }
    }
    if (handler == null) {
      detach.accept(this);
    } else {
      context.runOnContext(v -> drain());
    }
    return this;
  }

  @Override
  public synchronized StateStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public StateStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public StateStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("Negative fetch: " + amount);
    }
    synchronized (this) {
      demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    }
    context.runOnContext(v -> drain());
    return this;
  }

  @Override
  public synchronized StateStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }
}
