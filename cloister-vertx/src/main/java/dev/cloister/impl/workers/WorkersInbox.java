package dev.cloister.impl.workers;

import dev.cloister.CloisterException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.JsonObject;

/**
 * This node's end of a worker set's calls and casts: the consumer of its node-scoped address. It
 * validates every message and answers anything malformed with a failure reply carrying a code
 * (400), never throwing at the sender. The wire form is a JSON object
 * {@code {"op": "call"|"cast", "key": "...", "message": {...}}}.
 */
final class WorkersInbox {

  static final String CALL = "call";
  static final String CAST = "cast";

  /** Delivers a valid message to the key's worker here. */
  interface Delivery {
    /**
     * @param op {@link #CALL} or {@link #CAST}
     * @param key the key
     * @param message the message
     * @return the worker's reply (null for a cast), or a {@link CloisterException}
     */
    Future<JsonObject> deliver(String op, String key, JsonObject message);
  }

  private static final Logger log = LoggerFactory.getLogger(WorkersInbox.class);

  private final Delivery delivery;
  private MessageConsumer<Object> consumer;
  private volatile boolean serving;

  WorkersInbox(Delivery delivery) {
    this.delivery = delivery;
  }

  /**
   * The node-scoped address of a set.
   *
   * @param prefix the event-bus prefix
   * @param name the set's name
   * @param nodeId the node's cluster node id
   * @return the address
   */
  static String address(String prefix, String name, String nodeId) {
    return prefix + ".workers." + name + "." + nodeId;
  }

  /**
   * The wire form of a call or cast.
   *
   * @param op {@link #CALL} or {@link #CAST}
   * @param key the key
   * @param message the message
   * @return the body to send
   */
  static JsonObject body(String op, String key, JsonObject message) {
    return new JsonObject().put("op", op).put("key", key).put("message", message);
  }

  /**
   * Registers the consumer; call on the set's context, which then handles every message.
   *
   * @param vertx the Vert.x
   * @param address the node-scoped address
   * @return completes once the registration reached the cluster
   */
  Future<Void> open(Vertx vertx, String address) {
    consumer = vertx.eventBus().consumer(address);
    serving = true;
    consumer.handler(this::handle);
    return consumer.completion();
  }

  /** @return completes once unregistered; later messages get no handler */
  Future<Void> close() {
    serving = false;
    MessageConsumer<Object> c = consumer;
    consumer = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  private void handle(Message<Object> msg) {
    try {
      dispatch(msg);
    } catch (RuntimeException e) {
      log.debug("Worker message failed on this node", e);
      msg.fail(500, "cannot deliver: " + e);
    }
  }

  private void dispatch(Message<Object> msg) {
    if (!serving) {
      msg.fail(CloisterException.NO_QUORUM, "this worker set is closing on this node");
      return;
    }
    if (!(msg.body() instanceof JsonObject body)) {
      msg.fail(CloisterException.BAD_REQUEST, "the body must be a JSON object");
      return;
    }
    Object op = body.getValue("op");
    if (!CALL.equals(op) && !CAST.equals(op)) {
      msg.fail(CloisterException.BAD_REQUEST, "op must be \"call\" or \"cast\"");
      return;
    }
    String key;
    JsonObject message;
    try {
      key = KeyRules.key(body.getValue("key"));
      Object m = body.getValue("message");
      KeyRules.json("message", m);
      message = (JsonObject) m;
    } catch (CloisterException e) {
      msg.fail(e.code(), e.getMessage());
      return;
    }
    delivery.deliver((String) op, key, message).onComplete((reply, err) -> {
      if (err == null) {
        msg.reply(reply);
      } else if (err instanceof CloisterException ce) {
        msg.fail(ce.code(), ce.getMessage());
      } else {
        msg.fail(500, String.valueOf(err.getMessage()));
      }
    });
  }
}
