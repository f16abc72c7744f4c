package dev.cloister;

import dev.cloister.impl.CloisterImpl;
import io.vertx.codegen.annotations.Fluent;
import io.vertx.codegen.annotations.GenIgnore;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.codegen.annotations.Nullable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.streams.ReadStream;

import java.util.List;
import java.util.function.Function;

/**
 * One Cloister node: it joins the cluster, waits for {@code consensus} members of its app, and
 * keeps a state machine and a consistent view of the membership on every topology change.
 *
 * <p>Embed it with {@link #create(Vertx, CloisterOptions)} then {@link #start()}, or deploy a
 * {@link CloisterVerticle}. One Cloister runs per Vert.x instance.
 *
 * <p>Sibling calls ({@code multicall}, {@code multicast}, {@code multiapply}) reach one named
 * node at a time through a node-scoped address that every Cloister registers while it runs;
 * see {@code docs/calls.md}.
 */
@VertxGen
public interface Cloister {

  /**
   * Creates a Cloister for {@code vertx}; nothing happens until {@link #start()}.
   *
   * <p>On a Vert.x built with a {@link CloisterClusterManager}, the options that the manager uses
   * too (app, sentry, clusterHost, clusterPort, clusterSecret, dnsServers, ...) must agree with
   * the manager's; {@link #create(Vertx)} takes the manager's options whole.
   *
   * @param vertx a clustered Vert.x (or a plain one, for a ring of one with consensus 1)
   * @param options the options; validated here
   * @return the Cloister
   * @throws IllegalArgumentException naming an invalid option and its value, or an option on which
   *     {@code options} and the cluster manager's options disagree, with both values
   */
  static Cloister create(Vertx vertx, CloisterOptions options) {
    return new CloisterImpl(vertx, java.util.Objects.requireNonNull(options, "options"));
  }

  /**
   * Creates a Cloister for {@code vertx} with the options of the {@link CloisterClusterManager}
   * it runs on, or the defaults on any other Vert.x; nothing happens until {@link #start()}.
   *
   * @param vertx a Vert.x instance
   * @return the Cloister
   */
  static Cloister create(Vertx vertx) {
    return new CloisterImpl(vertx, null);
  }

  /**
   * The Cloister started in {@code vertx}.
   *
   * @param vertx a Vert.x instance
   * @return its running Cloister
   * @throws IllegalStateException when none is running there
   */
  static Cloister of(Vertx vertx) {
    return CloisterImpl.of(vertx);
  }

  /**
   * Adds a listener of every transition; add it before {@link #start()} to see them all.
   *
   * @param listener the listener
   * @return this
   */
  @Fluent
  @GenIgnore
  Cloister listener(CloisterListener listener);

  /**
   * Starts the node: completes once it is {@code READY} (or {@code NONODE}); fails when the
   * options cannot work, the node name is taken, or {@code startTimeout} passes first.
   *
   * @return the state at {@code READY}
   */
  Future<CloisterState> start();

  /**
   * Leaves gracefully: removes this node's member record first, so the others rehash at once.
   *
   * @return completes at {@code STOPPED}
   */
  Future<Void> close();

  /**
   * A snapshot of this node's state.
   *
   * @return the state now
   */
  CloisterState state();

  /**
   * This node's name on the ring, known from the moment the node claims it, before its member
   * record reaches the others.
   *
   * @return the node name, or {@code null} before the node claimed one
   */
  String nodeName();

  /**
   * The number of live members needed to be quorate.
   *
   * @return the consensus
   */
  int consensus();

  /**
   * The live members of this node's group, self included, sorted.
   *
   * @return the sibling names
   */
  List<String> siblings();

  /**
   * Which node of this node's group owns {@code key}: a local lookup, the same answer on every
   * node that sees the same members.
   *
   * @param key a {@code String}, {@code byte[]}, {@code Buffer}, number, {@code UUID},
   *     {@code JsonObject} or {@code JsonArray} (see docs/ring.md for each one's hash)
   * @return the owner's node name
   * @throws CloisterException 400 for a null, empty or unsupported key, 404 when the group has no
   *     live member, 503 when not ready (or below consensus under {@code protect})
   */
  String whois(Object key);

  /**
   * Which node of {@code group} owns {@code key}; any group, from any node.
   *
   * @param group a group
   * @param key the key, as for {@link #whois(Object)}
   * @return the owner's node name
   * @throws CloisterException as {@link #whois(Object)}
   */
  String whois(String group, Object key);

  /**
   * Whether this node owns {@code key} in its group.
   *
   * @param key the key, as for {@link #whois(Object)}
   * @return true when {@link #whois(Object)} names this node
   * @throws CloisterException as {@link #whois(Object)}
   */
  boolean mine(Object key);

  /**
   * The siblings after re-reading the membership (Cloister's {@code siblings!}).
   *
   * @return the sibling names
   */
  Future<List<String>> siblingsRefreshed();

  /**
   * The transitions of this node from now on, in order, on the node's context; the stream ends
   * after {@code STOPPED}. While paused it keeps the newest 256 changes and drops older ones.
   *
   * @return a new stream of state changes
   */
  ReadStream<StateChange> stateStream();

  /**
   * Registers a consumer of {@code address} on this node, as {@code vertx.eventBus().consumer}
   * does, that {@code multicall} reaches directly: it also listens on a node-scoped alias of the
   * address, so a call from any node goes straight to it, not through this node's inbox (which
   * relays to plain consumers with one more local hop). Unregistering the returned consumer
   * removes both registrations.
   *
   * @param address the event-bus address
   * @param handler the handler of each message
   * @param <T> the body type
   * @return the consumer
   * @throws CloisterException with code 400 when the address is null or empty
   */
  <T> MessageConsumer<T> consumer(String address, Handler<Message<T>> handler);

  /**
   * Sends {@code body} to {@code address} on each sibling (this group, self included) and
   * collects every node's reply or failure.
   *
   * @param address the event-bus address of a consumer on each node
   * @param body the request body
   * @return one reply per sibling, in name order; never failed by a node's failure
   */
  Future<List<NodeReply>> multicall(String address, @Nullable Object body);

  /**
   * Sends {@code body} to {@code address} on each named node and collects every node's reply or
   * failure (an unknown node name is a 404 for that node).
   *
   * @param nodes the node names, any group; duplicates are called once
   * @param address the event-bus address of a consumer on each node
   * @param body the request body
   * @return one reply per distinct node, in the order given; never failed by a node's failure
   */
  Future<List<NodeReply>> multicall(List<String> nodes, String address, @Nullable Object body);

  /**
   * As {@link #multicall(List, String, Object)}, with a timeout, headers and a codec.
   *
   * @param nodes the node names, any group; duplicates are called once
   * @param address the event-bus address of a consumer on each node
   * @param body the request body
   * @param options the call options
   * @return one reply per distinct node, in the order given; never failed by a node's failure
   */
  Future<List<NodeReply>> multicall(List<String> nodes, String address, @Nullable Object body, CallOptions options);

  /**
   * Publishes {@code body} on {@code address} to the whole cluster: every consumer of every
   * node gets it once (nodes of other apps too, as any event-bus publish).
   *
   * @param address the event-bus address
   * @param body the message body
   * @return completes once the message is handed to the event bus
   */
  Future<Void> multicast(String address, @Nullable Object body);

  /**
   * Publishes {@code body} on {@code address} on exactly the named nodes: every local consumer
   * of each of them gets it once; unknown node names are skipped.
   *
   * @param nodes the node names, any group; duplicates get it once
   * @param address the event-bus address
   * @param body the message body
   * @return completes once the messages are handed to the event bus
   */
  Future<Void> multicast(List<String> nodes, String address, @Nullable Object body);

  /**
   * As {@link #multicast(List, String, Object)}, with headers and a codec.
   *
   * @param nodes the node names, any group; duplicates get it once
   * @param address the event-bus address
   * @param body the message body
   * @param options the call options (the timeout is not used)
   * @return completes once the messages are handed to the event bus
   */
  Future<Void> multicast(List<String> nodes, String address, @Nullable Object body, CallOptions options);

  /**
   * Registers {@code function} under {@code name} on this node, replacing any previous one, so
   * that {@code multiapply} from any node can run it here.
   *
   * <p>Only functions registered this way ever run: nothing is looked up by reflection from a
   * message, since that would let any cluster member execute arbitrary code (remote code
   * execution). The function runs on this node's context and must not block; it gets the
   * caller's arguments and returns a future of a body the event bus can carry (JSON types,
   * strings, numbers, booleans, buffers, or a type with a default codec). A failure with a
   * {@link CloisterException} or a {@code ReplyException} keeps its code; any other is a 500.
   *
   * @param name the function name
   * @param function the function
   * @return this
   */
  @Fluent
  Cloister register(String name, Function<JsonArray, Future<@Nullable Object>> function);

  /**
   * Removes the function registered under {@code name}; later calls of it are per-node 404s.
   *
   * @param name the function name
   * @return whether a function was registered under that name
   */
  boolean unregister(String name);

  /**
   * Runs the function each sibling (this group, self included) registered under {@code name}.
   *
   * @param name the function name
   * @param args its arguments
   * @return one result per sibling, in name order; a node without that function gives a 404
   */
  Future<List<NodeReply>> multiapply(String name, JsonArray args);

  /**
   * Runs the function each named node registered under {@code name}.
   *
   * @param nodes the node names, any group; duplicates are called once
   * @param name the function name
   * @param args its arguments
   * @return one result per distinct node, in the order given; a node without that function gives a 404
   */
  Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args);

  /**
   * As {@link #multiapply(List, String, JsonArray)}, with a timeout and headers.
   *
   * @param nodes the node names, any group; duplicates are called once
   * @param name the function name
   * @param args its arguments
   * @param options the call options (the codec is not used: arguments travel as JSON)
   * @return one result per distinct node, in the order given; a node without that function gives a 404
   */
  Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args, CallOptions options);
}
