package dev.cloister.impl.workers;

import dev.cloister.CloisterException;
import dev.cloister.CloisterMember;
import dev.cloister.ShardedWorkers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;

/**
 * Routes calls and casts: sends each to the inbox of the key's owner, asking again while the key
 * moves, and delivers the ones that reach this node to the running key.
 */
final class CallRouter {

  private static final Logger log = LoggerFactory.getLogger(ShardedWorkers.class);

  private final SetState set;
  private final RunningKeys keys;

  CallRouter(SetState set, RunningKeys keys) {
    this.set = set;
    this.keys = keys;
  }

  /** Hands a call or cast that reached this node's inbox to the running key. */
  Future<JsonObject> deliver(String op, String key, JsonObject message) {
    Promise<JsonObject> out = set.context.promise();
    set.context.runOnContext(v -> {
      KeyRunner r = set.runners.get(key);
      if (r == null || r.phase != KeyRunner.Phase.RUNNING || !set.quorate) {
        set.here(Future.fromCompletionStage(set.store.getPayload(key))).onComplete((p, err) -> out.tryFail(
          err == null && p == null ? new CloisterException(CloisterException.NOT_FOUND, "no key '" + key + "' in worker set '"
            + set.name + "'") : new CloisterException(CloisterException.NO_QUORUM, "key '" + key + "' is not running on "
            + set.self())));
        return;
      }
      r.submit(new KeyRunner.Action() {
        @Override
        public Future<?> run() {
          if (r.phase != KeyRunner.Phase.RUNNING) {
            cancel();
            return Future.succeededFuture();
          }
          if (WorkersInbox.CAST.equals(op)) {
            try {
              set.worker.cast(key, r.payload(), message);
            } catch (RuntimeException e) {
              log.debug("Worker set '" + set.name + "': cast to '" + key + "' threw", e);
            }
            out.tryComplete(null);
            afterCall(r);
            return Future.succeededFuture();
          }
          long timer = set.context.setTimer(set.options.getPerformTimeout(), id -> out.tryFail(new CloisterException(504,
            "the worker of '" + key + "' did not answer within " + set.options.getPerformTimeout() + " ms")));
          Future<JsonObject> reply = set.here(SetState.call(() -> set.worker.call(key, r.payload(), message)));
          reply.onComplete((value, err) -> {
            set.vertx.cancelTimer(timer);
            if (err == null) {
              out.tryComplete(value);
            } else {
              out.tryFail(err instanceof CloisterException ? err
                : new CloisterException(500, "the worker of '" + key + "' failed: " + err.getMessage()));
            }
            afterCall(r);
          });
          // The mailbox waits for the reply, bounded by the call's timeout.
          return out.future().transform(x -> Future.succeededFuture());
        }

        @Override
        public void cancel() {
          out.tryFail(new CloisterException(CloisterException.NO_QUORUM, "key '" + key + "' stopped on " + set.self()));
        }
      });
    });
    return out.future();
  }

  private void afterCall(KeyRunner r) {
    if (set.options.getTick() == 0) {
      keys.requestPerform(r);
    }
  }

  /** Sends a call or cast to the key's owner, asking again while the key moves. */
  Future<JsonObject> route(String op, String key, JsonObject message) {
    String body;
    try {
      KeyRules.key(key);
      body = KeyRules.json("message", message);
    } catch (CloisterException e) {
      return Future.failedFuture(e);
    }
    Promise<JsonObject> out = set.context.promise();
    long deadline = SetState.now() + set.options.getHandoffTimeout();
    attempt(WorkersInbox.body(op, key, message), key, deadline, out, body.length());
    return out.future();
  }

  private void attempt(JsonObject body, String key, long deadline, Promise<JsonObject> out, int size) {
    String nodeId = null;
    CloisterException why = null;
    try {
      nodeId = nodeIdOf(set.ownerOf(key));
    } catch (CloisterException e) {
      why = e;
    }
    if (nodeId == null) {
      retry(body, key, deadline, out, size, why != null ? why : new CloisterException(CloisterException.NO_QUORUM,
        "the owner of '" + key + "' is not a member"));
      return;
    }
    DeliveryOptions o = new DeliveryOptions().setSendTimeout(set.options.getPerformTimeout() + 1000);
    set.vertx.eventBus().<JsonObject>request(WorkersInbox.address(set.cloister.addressPrefix(), set.name, nodeId), body, o)
      .onComplete((reply, err) -> {
        if (err == null) {
          out.tryComplete(reply.body());
          return;
        }
        if (err instanceof ReplyException re) {
          switch (re.failureType()) {
            case NO_HANDLERS -> retry(body, key, deadline, out, size, new CloisterException(CloisterException.NO_QUORUM,
              "no node runs worker set '" + set.name + "' for '" + key + "'"));
            case TIMEOUT -> out.tryFail(new CloisterException(504, "no reply for '" + key + "' within "
              + o.getSendTimeout() + " ms"));
            default -> {
              CloisterException ce = new CloisterException(re.failureCode(), re.getMessage());
              if (re.failureCode() == CloisterException.NO_QUORUM) {
                retry(body, key, deadline, out, size, ce);
              } else {
                out.tryFail(ce);
              }
            }
          }
        } else {
          out.tryFail(new CloisterException(500, String.valueOf(err.getMessage())));
        }
      });
  }

  private void retry(JsonObject body, String key, long deadline, Promise<JsonObject> out, int size,
                     CloisterException why) {
    if (SetState.now() >= deadline || set.closing) {
      out.tryFail(new CloisterException(CloisterException.NO_QUORUM, "no owner ran '" + key + "' within "
        + set.options.getHandoffTimeout() + " ms: " + why.getMessage()));
      return;
    }
    set.context.setTimer(WorkerSet.RETRY_MS, id -> attempt(body, key, deadline, out, size));
  }

  private String nodeIdOf(String node) {
    for (CloisterMember m : set.cloister.state().getMembers()) {
      if (m.getName().equals(node)) {
        return m.getNodeId();
      }
    }
    return null;
  }
}
