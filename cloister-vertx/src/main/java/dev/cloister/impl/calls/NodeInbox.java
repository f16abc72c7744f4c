package dev.cloister.impl.calls;

import dev.cloister.CloisterException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;

import java.util.function.Function;

/**
 * This node's end of sibling calls: the consumer of its node-scoped address. It validates each
 * message, then relays it to the local consumers of the target address (a local-only request
 * or publish, so a consumer registered on several nodes is still reached on this one), or runs
 * a registered function, and relays the outcome back. It never throws at a sender: anything
 * malformed gets a failure reply with a code.
 */
final class NodeInbox {

  private static final Logger log = LoggerFactory.getLogger(NodeInbox.class);

  private final Vertx vertx;
  private final FunctionRegistry functions;
  private MessageConsumer<Object> consumer;
  // Read on the node's context; cleared before the consumer is gone so late messages get a 503.
  private volatile boolean serving;

  NodeInbox(Vertx vertx, FunctionRegistry functions) {
    this.vertx = vertx;
    this.functions = functions;
  }

  /**
   * Registers the consumer; call on the node's context, which then runs every relay.
   *
   * @param address the node-scoped address
   * @param clustered whether other nodes must reach it
   * @return completes once the registration reached the cluster
   */
  Future<Void> open(String address, boolean clustered) {
    EventBus eb = vertx.eventBus();
    consumer = clustered ? eb.consumer(address) : eb.localConsumer(address);
    serving = true;
    consumer.handler(this::handle);
    return consumer.completion();
  }

  /**
   * Stops serving and unregisters the consumer.
   *
   * @return completes once unregistered
   */
  Future<Void> close() {
    serving = false;
    MessageConsumer<Object> c = consumer;
    consumer = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  private void handle(Message<Object> msg) {
    try {
      dispatch(msg);
    } catch (IllegalArgumentException e) {
      // The caller's mistake, e.g. a codec this node does not have: a bad request, not our failure.
      msg.fail(CloisterException.BAD_REQUEST, "cannot relay: " + e.getMessage());
    } catch (RuntimeException e) {
      // Any other surprise: the sender learns it, the node goes on.
      log.debug("Sibling call failed on this node", e);
      msg.fail(500, "cannot relay: " + e);
    }
  }

  private void dispatch(Message<Object> msg) {
    if (!serving) {
      msg.fail(CloisterException.NO_QUORUM, "this node is stopping");
      return;
    }
    MultiMap headers = msg.headers();
    String op = headers.get(CallProtocol.OP);
    String target = headers.get(CallProtocol.TARGET);
    if (op == null) {
      msg.fail(CloisterException.BAD_REQUEST, "missing header " + CallProtocol.OP);
      return;
    }
    if (target == null || target.isEmpty()) {
      msg.fail(CloisterException.BAD_REQUEST, "missing header " + CallProtocol.TARGET);
      return;
    }
    long timeout = parseTimeout(headers.get(CallProtocol.TIMEOUT));
    if (timeout < 0) {
      msg.fail(CloisterException.BAD_REQUEST, "header " + CallProtocol.TIMEOUT + " must be a number of ms between 1 and "
        + CallProtocol.MAX_TIMEOUT);
      return;
    }
    long size = sizeOf(msg.body());
    if (size > CallProtocol.MAX_BODY) {
      msg.fail(CloisterException.BAD_REQUEST, "body of " + size + " exceeds the limit of " + CallProtocol.MAX_BODY);
      return;
    }
    switch (op) {
      case CallProtocol.CALL -> call(msg, target, timeout);
      case CallProtocol.CAST -> cast(msg, target);
      case CallProtocol.APPLY -> apply(msg, target, timeout);
      default -> msg.fail(CloisterException.BAD_REQUEST, "unknown operation " + op);
    }
  }

  private static long parseTimeout(String value) {
    if (value == null) {
      return dev.cloister.CallOptions.DEFAULT_TIMEOUT;
    }
    try {
      long t = Long.parseLong(value.trim());
      return t >= 1 && t <= CallProtocol.MAX_TIMEOUT ? t : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The size of bodies whose size is known without re-encoding them; 0 for the others. */
  private static long sizeOf(Object body) {
    if (body instanceof Buffer b) {
      return b.length();
    }
    if (body instanceof String s) {
      return s.length();
    }
    if (body instanceof byte[] a) {
      return a.length;
    }
    return 0;
  }

  private DeliveryOptions localOptions(MultiMap headers, long timeout) {
    DeliveryOptions o = new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeout)
      .setHeaders(CallProtocol.userHeaders(headers));
    String codec = headers.get(CallProtocol.CODEC);
    if (codec != null) {
      o.setCodecName(codec);
    }
    return o;
  }

  private void call(Message<Object> msg, String target, long timeout) {
    vertx.eventBus().request(target, msg.body(), localOptions(msg.headers(), timeout)).onComplete((reply, err) -> {
      if (err == null) {
        replyOk(msg, reply.body(), reply.headers());
      } else {
        replyFailure(msg, err);
      }
    });
  }

  private void cast(Message<Object> msg, String target) {
    vertx.eventBus().publish(target, msg.body(), localOptions(msg.headers(), CallProtocol.MAX_TIMEOUT));
    if (msg.replyAddress() != null) {
      replyOk(msg, null, null);
    }
  }

  private void apply(Message<Object> msg, String name, long timeout) {
    if (!(msg.body() instanceof Buffer buffer)) {
      msg.fail(CloisterException.BAD_REQUEST, "the arguments of " + name + " must be a JSON array in a buffer");
      return;
    }
    JsonArray args;
    try {
      args = new JsonArray(buffer);
    } catch (DecodeException | ClassCastException e) {
      msg.fail(CloisterException.BAD_REQUEST, "the arguments of " + name + " are not a JSON array");
      return;
    }
    Function<JsonArray, Future<Object>> function = functions.get(name);
    if (function == null) {
      msg.fail(CloisterException.NOT_FOUND, "no function " + name + " is registered on this node");
      return;
    }
    Future<Object> result;
    try {
      result = function.apply(args);
    } catch (RuntimeException e) {
      replyFailure(msg, e);
      return;
    }
    if (result == null) {
      replyFailure(msg, new IllegalStateException("function " + name + " returned no future"));
      return;
    }
    // A function's future has no timeout of its own: bound it so the caller hears a 504 from here.
    long timer = vertx.setTimer(timeout, id -> replyFailure(msg, new ReplyException(ReplyFailure.TIMEOUT,
      "function " + name + " did not complete within " + timeout + " ms")));
    result.onComplete((value, err) -> {
      if (!vertx.cancelTimer(timer)) {
        return;
      }
      if (err == null) {
        replyOk(msg, value, null);
      } else {
        replyFailure(msg, err);
      }
    });
  }

  private static void replyOk(Message<Object> msg, Object body, MultiMap headers) {
    DeliveryOptions o = new DeliveryOptions();
    if (headers != null && !headers.isEmpty()) {
      o.setHeaders(CallProtocol.userHeaders(headers));
    }
    o.addHeader(CallProtocol.OUTCOME, CallProtocol.OK);
    try {
      msg.reply(body, o);
    } catch (RuntimeException e) {
      msg.fail(500, "cannot send the reply back: " + e.getMessage());
    }
  }

  private static void replyFailure(Message<Object> msg, Throwable err) {
    ReplyFailure kind = ReplyFailure.RECIPIENT_FAILURE;
    int code = 500;
    if (err instanceof ReplyException re) {
      kind = re.failureType();
      code = switch (kind) {
        case NO_HANDLERS -> CloisterException.NOT_FOUND;
        case TIMEOUT -> 504;
        case RECIPIENT_FAILURE -> re.failureCode();
        case ERROR -> 500;
      };
    } else if (err instanceof CloisterException ce) {
      code = ce.code();
    }
    msg.reply(String.valueOf(err.getMessage()), new DeliveryOptions()
      .addHeader(CallProtocol.OUTCOME, kind.name())
      .addHeader(CallProtocol.CODE, Integer.toString(code)));
  }
}
