package dev.cloister.impl;

import dev.cloister.CallOptions;
import dev.cloister.Cloister;
import dev.cloister.CloisterException;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.NodeReply;
import dev.cloister.StateChange;
import dev.cloister.impl.calls.SiblingCalls;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.config.OptionTable;
import dev.cloister.impl.membership.MembershipReconciler;
import dev.cloister.impl.membership.SelfSuspicion;
import dev.cloister.impl.transport.Standstills;
import dev.cloister.impl.transport.LocalCaches;
import dev.cloister.impl.transport.NodeTransport;
import dev.cloister.impl.metrics.NodeMetrics;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node behind {@link Cloister}: a facade over collaborators with one job each.
 * <ul>
 *   <li>{@link Lifecycle}: start (registry, assembly, name claim, start timeout) and graceful stop;</li>
 *   <li>{@link NodeStateMachine}: membership reads through the guards and the table, rings ordered
 *       from the ring maintenance verticle;</li>
 *   <li>{@link StatePublisher}: the published state, listeners, streams, {@code <prefix>.state};</li>
 *   <li>{@link Ownership}: whois and mine, from the published rings;</li>
 *   <li>{@link SiblingCalls}: multicall, multicast and multiapply.</li>
 * </ul>
 *
 * <p>All mutable state is confined to the context the Cloister was created on; Infinispan's
 * callbacks only schedule a refresh there, and blocking cache calls run as ordered blocking tasks.
 * Answers (whois, siblings, calls) read the current publication, an immutable value.
 */
public final class CloisterImpl implements Cloister, Shareable {

  private final ContextInternal context;
  private final NodeConfig config;
  private final StatePublisher publisher;
  private final NodeStateMachine machine;
  private final SiblingCalls calls;
  private final Lifecycle lifecycle;
  /** Whether this node stood still long enough to suspect itself; {@code null} when not clustered. */
  private final SelfSuspicion suspicion;
  private final NodeMetrics metrics;
  private final TransitionJournal journal = new TransitionJournal(TransitionJournal.DEFAULT_CAPACITY);
  /** What runs before the graceful leave (worker sets handing their keys off), in order. */
  private final List<Supplier<Future<Void>>> beforeLeave = new CopyOnWriteArrayList<>();
  private final WorkSets workSets = new WorkSets();
  /** The run of the hooks once a close began; confined to the node's context. */
  private Future<Void> leaving;

  /**
   * Creates a Cloister; see {@link Cloister#create(Vertx, CloisterOptions)}.
   *
   * @param vertx the Vert.x instance
   * @param options the options, validated here; {@code null} for those of the cluster manager
   * @throws IllegalArgumentException naming an invalid option, or one on which the options and
   *     those of the cluster manager disagree
   */
  public CloisterImpl(Vertx vertx, CloisterOptions options) {
    this.config = NodeConfig.of(agreed(vertx, options));
    VertxInternal v = (VertxInternal) vertx;
    this.context = v.getOrCreateContext();
    this.publisher = new StatePublisher(vertx, context, config, System.currentTimeMillis());
    if (config.listener() != null) {
      publisher.addListener(instantiate(config.listener()));
    }
    // The journal and the meters listen like any listener: through the publisher's announcements.
    publisher.addListener(journal);
    this.metrics = NodeMetrics.of(vertx, () -> publisher.current().state(), config.app());
    if (metrics != NodeMetrics.NONE) {
      publisher.addListener(metrics);
    }
    this.suspicion = v.isClustered()
      ? new SelfSuspicion(Standstills.jvm(), NodeTransport.of(v).failureDetectionBound()) : null;
    this.machine = new NodeStateMachine(config, publisher, suspicion);
    this.calls = new SiblingCalls(vertx, config.addressPrefix(), () -> publisher.current().routing(), metrics);
    this.lifecycle = new Lifecycle(v, context, config, this, machine, publisher, calls,
      publisher.current().state().getStartedAt());
  }

  /**
   * The options a node runs with: its own when given, else those of the {@code CloisterClusterManager}
   * its Vert.x runs on, else the defaults; its own must agree with the cluster manager's on every
   * option both use.
   *
   * @param vertx the node's Vert.x
   * @param options the node's own options, or {@code null}
   * @return the options to run with
   * @throws IllegalArgumentException naming an option on which the two disagree
   */
  static CloisterOptions agreed(Vertx vertx, CloisterOptions options) {
    JsonObject transport = NodeTransport.options(vertx);
    if (options == null) {
      return transport == null ? new CloisterOptions() : new CloisterOptions(transport);
    }
    if (transport != null) {
      OptionTable.checkAgreement(options, transport);
    }
    return options;
  }

  /**
   * The options of a verticle deployed by name: those of the {@code CloisterClusterManager} its
   * Vert.x runs on (else the defaults), overridden by the deployment's JSON config, then by the
   * {@code CLOISTER_*} environment variables.
   *
   * @param vertx the node's Vert.x
   * @param deployment the deployment's JSON config
   * @param env the environment
   * @return the options
   * @throws IllegalArgumentException naming an unknown or invalid option
   */
  public static CloisterOptions deploymentOptions(Vertx vertx, JsonObject deployment, Map<String, String> env) {
    JsonObject transport = NodeTransport.options(vertx);
    JsonObject merged = transport == null ? new JsonObject() : transport;
    return new CloisterOptions(merged.mergeIn(deployment == null ? new JsonObject() : deployment))
      .applyEnvironment(env);
  }

  /**
   * The Cloister running in {@code vertx}.
   *
   * @param vertx a Vert.x instance
   * @return its Cloister
   */
  public static Cloister of(Vertx vertx) {
    Cloister c = Lifecycle.running(vertx);
    if (c == null) {
      throw new IllegalStateException("No Cloister is running in this Vert.x instance");
    }
    return c;
  }

  private static CloisterListener instantiate(String className) {
    try {
      ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
        .orElse(CloisterImpl.class.getClassLoader());
      Class<?> type = Class.forName(className, true, loader);
      if (!CloisterListener.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException("Invalid Cloister option listener = '" + className
          + "': not a " + CloisterListener.class.getName());
      }
      return (CloisterListener) type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalArgumentException("Invalid Cloister option listener = '" + className
        + "': cannot be instantiated (" + e + ")", e);
    }
  }

  @Override
  public Cloister listener(CloisterListener listener) {
    publisher.addListener(listener);
    return this;
  }

  @Override
  public Future<CloisterState> start() {
    context.runOnContext(v -> lifecycle.start(new WhoisEndpoint(this), m -> m.reply(workSets.here())));
    return lifecycle.started();
  }

  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (leaving == null) {
        leaving = runBeforeLeave(List.copyOf(beforeLeave), 0);
      }
      // The steps complete on their own contexts: the leave itself runs on the node's.
      Promise<Void> left = Promise.promise();
      leaving.onComplete(x -> context.runOnContext(y -> lifecycle.close(left)));
      // A node of one keeps its worker sets' keys in local caches: they go with it, once its sets closed.
      VertxInternal vertx = context.owner();
      left.future().transform(x -> vertx.isClustered() ? Future.<Void>succeededFuture()
        : vertx.<Void>executeBlocking(() -> {
          LocalCaches.stop(vertx);
          return null;
        }, false).recover(err -> Future.succeededFuture())).onComplete(done);
    });
    return done.future();
  }

  private static Future<Void> runBeforeLeave(List<Supplier<Future<Void>>> steps, int i) {
    if (i >= steps.size()) {
      return Future.succeededFuture();
    }
    Future<Void> hook;
    try {
      hook = steps.get(i).get();
    } catch (RuntimeException e) {
      hook = Future.failedFuture(e);
    }
    return (hook == null ? Future.<Void>succeededFuture() : hook).recover(err -> Future.succeededFuture())
      .compose(v -> runBeforeLeave(steps, i + 1));
  }

  /**
   * Adds a step to run before this node leaves gracefully (on {@link #close()}, its verticle's
   * undeployment, {@code vertx.close()} or SIGTERM), while it is still a member: worker sets hand
   * their keys off there. A failing step is ignored; the leave goes on.
   *
   * @param step returns a future that completes when the step is done
   * @return removes the step
   */
  public Runnable beforeLeave(Supplier<Future<Void>> step) {
    beforeLeave.add(step);
    return () -> beforeLeave.remove(step);
  }

  /** @return the prefix of this node's event-bus addresses */
  public String addressPrefix() {
    return config.addressPrefix();
  }

  /** @return this node's group */
  public String group() {
    return config.group();
  }

  /**
   * The state, answered like ownership: a node back from a standstill reports itself not quorate
   * (REHASHING instead of READY) from the first instant, before its state machine has read the
   * members again and published it.
   */
  @Override
  public CloisterState state() {
    CloisterState s = publisher.current().copy();
    if (suspicion != null && s.isQuorate() && suspicion.suspect()) {
      s.setQuorate(false);
      if (s.getStatus() == CloisterStatus.READY) {
        s.setStatus(CloisterStatus.REHASHING);
      }
    }
    return s;
  }

  @Override
  public String nodeName() {
    String name = publisher.current().state().getNode();
    if (name != null) {
      return name;
    }
    // Claimed, its record written or on its way, but no state with it published yet: the other
    // nodes can see the record (and call this node) before this node's next transition.
    MembershipReconciler r = machine.reconciler();
    return r == null ? null : r.self().name();
  }

  @Override
  public int consensus() {
    return config.consensus();
  }

  @Override
  public List<String> siblings() {
    List<String> names = publisher.current().siblings();
    return names.isEmpty() ? List.of() : new ArrayList<>(names);
  }

  @Override
  public String whois(Object key) {
    return whois(config.group(), key);
  }

  @Override
  public String whois(String group, Object key) {
    metrics.whois();
    return ownership().whois(group, key);
  }

  @Override
  public boolean mine(Object key) {
    metrics.whois();
    return ownership().mine(key);
  }

  /**
   * Answers a whois with the ring's version, as the event bus replies.
   *
   * @param group the group, or {@code null} for this node's
   * @param key the key
   * @return {@code {node, group, ringVersion}}
   */
  JsonObject whoisReply(String group, Object key) {
    metrics.whois();
    return ownership().reply(group, key);
  }

  /**
   * What ownership is answered from. A node back from a standstill answers as not quorate from the
   * first instant, before its state machine has read the members again.
   */
  private Ownership ownership() {
    Ownership o = publisher.current().ownership();
    return suspicion != null && suspicion.suspect() ? o.suspected() : o;
  }

  /**
   * The rings installed now, for the dashboard's drawing; an immutable value.
   *
   * @return the rings every ownership answer is read from
   */
  public Rings rings() {
    return publisher.current().ownership().rings();
  }

  /** @return the worker sets running on this node, for the dashboard */
  public WorkSets workSets() {
    return workSets;
  }

  /** @return the address on which every node answers {@link WorkSets#here()} */
  public String workSetsAddress() {
    return WorkSets.address(config.addressPrefix());
  }

  /**
   * Whether this node, not quorate only while it waits for the records of members back in its view
   * after a merge, still hears a quorum of the members it has records of: work it runs may go on
   * through that wait instead of stopping. Read from any thread.
   *
   * @return true when so
   */
  public boolean quorumHeardWhileWaiting() {
    return machine.quorumHeardWhileWaiting();
  }

  /**
   * Whether this node hears a quorum of the members it has records of now, whatever its published
   * state says yet: what keeps work held through a wait going. Read from any thread.
   *
   * @return true when so
   */
  public boolean quorumHeard() {
    return machine.quorumHeard();
  }

  /**
   * The recent transitions of this node, for the dashboard.
   *
   * @return the journal
   */
  public TransitionJournal journal() {
    return journal;
  }

  @Override
  public Future<List<String>> siblingsRefreshed() {
    Promise<List<String>> result = Promise.promise();
    context.runOnContext(v -> {
      MembershipReconciler r = machine.reconciler();
      if (r == null) {
        result.complete(siblings());
        return;
      }
      r.read().onComplete((snap, err) -> {
        if (err == null) {
          machine.apply(snap);
        }
        result.complete(siblings());
      });
    });
    return result.future();
  }

  @Override
  public ReadStream<StateChange> stateStream() {
    return publisher.stream();
  }

  // ---- sibling calls: see SiblingCalls ----

  @Override
  public <T> MessageConsumer<T> consumer(String address, Handler<Message<T>> handler) {
    return calls.consumer(address, handler);
  }

  @Override
  public Future<List<NodeReply>> multicall(String address, Object body) {
    return calls.multicall(siblings(), address, body, null);
  }

  @Override
  public Future<List<NodeReply>> multicall(List<String> nodes, String address, Object body) {
    return calls.multicall(nodes, address, body, null);
  }

  @Override
  public Future<List<NodeReply>> multicall(List<String> nodes, String address, Object body, CallOptions options) {
    return calls.multicall(nodes, address, body, options);
  }

  @Override
  public Future<Void> multicast(String address, Object body) {
    return calls.multicast(null, address, body, null);
  }

  @Override
  public Future<Void> multicast(List<String> nodes, String address, Object body) {
    return multicast(nodes, address, body, null);
  }

  @Override
  public Future<Void> multicast(List<String> nodes, String address, Object body, CallOptions options) {
    // A null list here would silently become a cluster-wide publish: refuse it instead.
    return nodes == null ? Future.failedFuture(new CloisterException(CloisterException.BAD_REQUEST, "no node list given"))
      : calls.multicast(nodes, address, body, options);
  }

  @Override
  public Cloister register(String name, Function<JsonArray, Future<Object>> function) {
    calls.register(name, function);
    return this;
  }

  @Override
  public boolean unregister(String name) {
    return calls.functions().unregister(name);
  }

  @Override
  public Future<List<NodeReply>> multiapply(String name, JsonArray args) {
    return calls.multiapply(siblings(), name, args, null);
  }

  @Override
  public Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args) {
    return calls.multiapply(nodes, name, args, null);
  }

  @Override
  public Future<List<NodeReply>> multiapply(List<String> nodes, String name, JsonArray args, CallOptions options) {
    return calls.multiapply(nodes, name, args, options);
  }
}
