package dev.cloister.impl.calls;

import dev.cloister.CallOptions;
import dev.cloister.CloisterException;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code multicall}, {@code multicast} and {@code multiapply}: the caller's side of sibling
 * calls, plus the {@link NodeInbox} and {@link FunctionRegistry} of this node.
 *
 * <p>Node names resolve to Vert.x node ids through the live membership; each node is reached on
 * its inbox address {@code <prefix>.node.<nodeId>}. The id, not the name, is in the address so
 * that the inbox can be registered before the member record is written: once a node is listed
 * as a member anywhere, it already answers calls.
 *
 * <p>A {@code multicall} first requests the target's {@link CallProtocol#direct direct alias},
 * which consumers registered through {@link #consumer} also listen on, so the request goes
 * straight to that node's consumer with no relay; when the alias has no consumer there (a plain
 * event-bus consumer), it falls back to the inbox, which relays to the local consumers, and
 * calls to that alias go through the inbox for a while ({@link AliasMisses}).
 */
public final class SiblingCalls {

  /**
   * What calls are routed by: an immutable value the node replaces on every change, never a
   * state object a user can hold.
   *
   * @param status the node's status
   * @param nodeIds live member name to Vert.x node id
   */
  public record Routing(CloisterStatus status, Map<String, String> nodeIds) {
    /** Copies the map. */
    public Routing {
      nodeIds = Map.copyOf(nodeIds);
    }
  }

  private static final String MULTICALL = "multicall";
  private static final String MULTICAST = "multicast";
  private static final String MULTIAPPLY = "multiapply";

  private final Vertx vertx;
  private final String prefix;
  private final Supplier<Routing> routing;
  private final FunctionRegistry functions = new FunctionRegistry();
  private final NodeInbox inbox;
  private final CallCounter counter;
  private final AliasMisses misses = new AliasMisses();

  /**
   * Creates the calls of one node; nothing is registered until {@link #open(String, boolean)}.
   *
   * @param vertx the node's Vert.x
   * @param prefix the event-bus address prefix
   * @param routing the node's current routing value (status, live members' node ids)
   */
  public SiblingCalls(Vertx vertx, String prefix, Supplier<Routing> routing) {
    this(vertx, prefix, routing, CallCounter.NONE);
  }

  /**
   * Creates the calls of one node, telling {@code counter} the outcome of each call per node.
   *
   * @param vertx the node's Vert.x
   * @param prefix the event-bus address prefix
   * @param routing the node's current routing value (status, live members' node ids)
   * @param counter told of every outcome
   */
  public SiblingCalls(Vertx vertx, String prefix, Supplier<Routing> routing, CallCounter counter) {
    this.vertx = vertx;
    this.prefix = prefix;
    this.routing = routing;
    this.counter = counter;
    this.inbox = new NodeInbox(vertx, functions);
  }

  /**
   * Registers this node's inbox; call on the node's context.
   *
   * @param nodeId this node's Vert.x node id
   * @param clustered whether Vert.x is clustered
   * @return completes once other nodes can reach the inbox
   */
  public Future<Void> open(String nodeId, boolean clustered) {
    return inbox.open(CallProtocol.inbox(prefix, nodeId), clustered);
  }

  /**
   * Registers a consumer of {@code address} on this node that also listens on its node-scoped
   * alias, so that sibling calls reach it with no relay.
   *
   * @param address the address
   * @param handler the handler
   * @param <T> the body type
   * @return both registrations as one consumer
   */
  public <T> MessageConsumer<T> consumer(String address, Handler<Message<T>> handler) {
    if (address == null || address.isEmpty()) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "consumer needs an address");
    }
    EventBus eb = vertx.eventBus();
    String alias = CallProtocol.direct(prefix, selfId(), address);
    MessageConsumer<T> shared = eb.consumer(address);
    MessageConsumer<T> direct = vertx.isClustered() ? eb.consumer(alias) : eb.localConsumer(alias);
    return new DirectConsumer<>(vertx, shared, direct).handler(handler);
  }

  /** This node's id in node-scoped addresses. */
  private String selfId() {
    return vertx.isClustered() ? ((VertxInternal) vertx).clusterManager().getNodeId() : CallProtocol.UNCLUSTERED_NODE_ID;
  }

  /**
   * Unregisters this node's inbox; calls in flight to it get a 503.
   *
   * @return completes once unregistered
   */
  public Future<Void> close() {
    return inbox.close();
  }

  /**
   * The functions {@code multiapply} may run on this node.
   *
   * @return the registry
   */
  public FunctionRegistry functions() {
    return functions;
  }

  /**
   * A request to {@code address} on each node.
   *
   * @param nodes node names
   * @param address the address
   * @param body the body
   * @param options the options, or {@code null}
   * @return one reply per distinct node
   */
  public Future<List<NodeReply>> multicall(List<String> nodes, String address, Object body, CallOptions options) {
    if (address == null || address.isEmpty()) {
      return rejected(MULTICALL, "multicall needs an address");
    }
    return requestAll(nodes, MULTICALL, CallProtocol.CALL, address, body, options);
  }

  /**
   * The function {@code name} on each node.
   *
   * @param nodes node names
   * @param name the function name
   * @param args the arguments, or {@code null} for none
   * @param options the options, or {@code null}
   * @return one result per distinct node
   */
  public Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args, CallOptions options) {
    if (name == null || name.isEmpty()) {
      return rejected(MULTIAPPLY, "multiapply needs a function name");
    }
    // Arguments travel as JSON text so the inbox can bound and validate them before decoding.
    CallOptions o = options == null ? new CallOptions() : new CallOptions(options).setCodecName(null);
    return requestAll(nodes, MULTIAPPLY, CallProtocol.APPLY, name, (args == null ? new JsonArray() : args).toBuffer(), o);
  }

  /**
   * A publish on {@code address} on each named node, or to the whole cluster.
   *
   * @param nodes node names, or {@code null} for a cluster-wide publish
   * @param address the address
   * @param body the body
   * @param options the options, or {@code null}
   * @return completes once handed to the event bus
   */
  public Future<Void> multicast(List<String> nodes, String address, Object body, CallOptions options) {
    if (address == null || address.isEmpty()) {
      return rejected(MULTICAST, "multicast needs an address");
    }
    CallOptions o = options == null ? new CallOptions() : options;
    try {
      if (nodes == null) {
        DeliveryOptions d = userOptions(o);
        vertx.eventBus().publish(address, body, d);
        counter.count(MULTICAST, CallCounter.OK);
        return Future.succeededFuture();
      }
      Map<String, String> ids = nodeIds();
      if (ids == null) {
        return notServing(MULTICAST);
      }
      for (String name : new LinkedHashSet<>(nodes)) {
        String id = ids.get(name);
        if (id != null) {
          vertx.eventBus().send(CallProtocol.inbox(prefix, id), body, protocolOptions(o, CallProtocol.CAST, address));
          counter.count(MULTICAST, CallCounter.OK);
        } else {
          counter.count(MULTICAST, CallCounter.UNREACHABLE);
        }
      }
      return Future.succeededFuture();
    } catch (RuntimeException e) {
      // No codec for the body's type: the caller's mistake, reported, not thrown.
      counter.count(MULTICAST, CallCounter.REJECTED);
      return Future.failedFuture(new CloisterException(CloisterException.BAD_REQUEST, "cannot multicast: " + e.getMessage()));
    }
  }

  private Future<List<NodeReply>> requestAll(List<String> nodes, String metric, String op, String target, Object body,
                                             CallOptions options) {
    if (nodes == null) {
      return rejected(metric, "no node list given");
    }
    Map<String, String> ids = nodeIds();
    if (ids == null) {
      return notServing(metric);
    }
    CallOptions o = options == null ? new CallOptions() : options;
    List<Future<NodeReply>> replies = new ArrayList<>();
    for (String name : new LinkedHashSet<>(nodes)) {
      String id = name == null ? null : ids.get(name);
      if (id == null) {
        replies.add(Future.succeededFuture(NodeReply.failure(name, ReplyFailure.NO_HANDLERS, CloisterException.NOT_FOUND,
          "unknown node " + name)));
      } else {
        replies.add(request(name, id, op, target, body, o));
      }
    }
    // Every per-node future succeeds (failures are folded into its NodeReply), so all() never fails.
    return Future.all(replies).map(cf -> {
      List<NodeReply> out = new ArrayList<>(replies.size());
      replies.forEach(f -> {
        out.add(f.result());
        counter.count(metric, resultOf(f.result()));
      });
      return out;
    });
  }

  private Future<NodeReply> request(String name, String id, String op, String target, Object body, CallOptions o) {
    if (!CallProtocol.CALL.equals(op)) {
      return relay(name, id, op, target, body, o);
    }
    String alias = CallProtocol.direct(prefix, id, target);
    if (misses.recent(alias)) {
      return relay(name, id, op, target, body, o);
    }
    Future<Message<Object>> sent;
    try {
      sent = vertx.eventBus().request(alias, body, userOptions(o).setSendTimeout(o.getTimeout()));
    } catch (RuntimeException e) {
      return Future.succeededFuture(NodeReply.failure(name, ReplyFailure.ERROR, CloisterException.BAD_REQUEST,
        "cannot send: " + e.getMessage()));
    }
    return sent.map(reply -> NodeReply.success(name, reply.body())).recover(err -> {
      if (err instanceof ReplyException re && (re.failureType() == ReplyFailure.NO_HANDLERS
        || re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == CallProtocol.RETIRED)) {
        misses.note(alias);
        return relay(name, id, op, target, body, o);
      }
      return Future.succeededFuture(failureOf(name, err));
    });
  }

  /** Through the target's inbox, which relays to its local consumers or runs the function. */
  private Future<NodeReply> relay(String name, String id, String op, String target, Object body, CallOptions o) {
    DeliveryOptions d = protocolOptions(o, op, target)
      .addHeader(CallProtocol.TIMEOUT, Long.toString(o.getTimeout()))
      .setSendTimeout(o.getTimeout() + CallProtocol.CALLER_GRACE);
    Future<Message<Object>> sent;
    try {
      sent = vertx.eventBus().request(CallProtocol.inbox(prefix, id), body, d);
    } catch (RuntimeException e) {
      return Future.succeededFuture(NodeReply.failure(name, ReplyFailure.ERROR, CloisterException.BAD_REQUEST,
        "cannot send: " + e.getMessage()));
    }
    return sent.map(reply -> decode(name, reply)).otherwise(err -> failureOf(name, err));
  }

  private static NodeReply decode(String name, Message<Object> reply) {
    String outcome = reply.headers().get(CallProtocol.OUTCOME);
    if (CallProtocol.OK.equals(outcome)) {
      return NodeReply.success(name, reply.body());
    }
    ReplyFailure kind;
    int code;
    try {
      kind = ReplyFailure.valueOf(outcome);
      code = Integer.parseInt(reply.headers().get(CallProtocol.CODE));
    } catch (RuntimeException e) {
      return NodeReply.failure(name, ReplyFailure.ERROR, 500, "malformed reply from " + name);
    }
    return NodeReply.failure(name, kind, code, String.valueOf(reply.body()));
  }

  private static NodeReply failureOf(String name, Throwable err) {
    if (err instanceof ReplyException re) {
      return switch (re.failureType()) {
        case NO_HANDLERS -> NodeReply.failure(name, ReplyFailure.NO_HANDLERS, CloisterException.NOT_FOUND,
          "node " + name + " does not serve calls (stopped or not started)");
        case TIMEOUT -> NodeReply.failure(name, ReplyFailure.TIMEOUT, 504, "node " + name + " did not answer in time");
        case RECIPIENT_FAILURE -> NodeReply.failure(name, ReplyFailure.RECIPIENT_FAILURE, re.failureCode(), re.getMessage());
        case ERROR -> NodeReply.failure(name, ReplyFailure.ERROR, 500, re.getMessage());
      };
    }
    return NodeReply.failure(name, ReplyFailure.ERROR, 500, String.valueOf(err.getMessage()));
  }

  private DeliveryOptions protocolOptions(CallOptions o, String op, String target) {
    DeliveryOptions d = userOptions(o).addHeader(CallProtocol.OP, op).addHeader(CallProtocol.TARGET, target);
    if (o.getCodecName() != null) {
      d.addHeader(CallProtocol.CODEC, o.getCodecName());
    }
    return d;
  }

  private static DeliveryOptions userOptions(CallOptions o) {
    DeliveryOptions d = new DeliveryOptions();
    o.getHeaders().forEach((k, v) -> {
      if (!k.regionMatches(true, 0, CallProtocol.RESERVED, 0, CallProtocol.RESERVED.length())) {
        d.addHeader(k, v);
      }
    });
    if (o.getCodecName() != null) {
      d.setCodecName(o.getCodecName());
    }
    return d;
  }

  /** Live member name to node id, or {@code null} when this node is not serving calls. */
  private Map<String, String> nodeIds() {
    Routing r = routing.get();
    CloisterStatus status = r.status();
    if (status != CloisterStatus.READY && status != CloisterStatus.REHASHING && status != CloisterStatus.NONODE) {
      return null;
    }
    return r.nodeIds();
  }

  private static String resultOf(NodeReply reply) {
    if (reply.isSucceeded()) {
      return CallCounter.OK;
    }
    ReplyFailure f = reply.getFailure();
    return f == ReplyFailure.TIMEOUT ? CallCounter.TIMEOUT
      : f == ReplyFailure.NO_HANDLERS ? CallCounter.UNREACHABLE : CallCounter.FAILED;
  }

  private <T> Future<T> rejected(String op, String message) {
    counter.count(op, CallCounter.REJECTED);
    return Future.failedFuture(new CloisterException(CloisterException.BAD_REQUEST, message));
  }

  private <T> Future<T> notServing(String op) {
    counter.count(op, CallCounter.REJECTED);
    return Future.failedFuture(new CloisterException(CloisterException.NO_QUORUM,
      "this node is " + routing.get().status() + ": sibling calls need a started node"));
  }

  /**
   * Registers a function; see {@link FunctionRegistry#register(String, Function)}.
   *
   * @param name the name
   * @param function the function
   */
  public void register(String name, Function<JsonArray, Future<Object>> function) {
    functions.register(name, function);
  }
}
