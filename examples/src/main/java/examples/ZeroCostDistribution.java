package examples;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * "Zero cost distribution": messages arrive from a broker at whichever node is at hand; each is
 * stored at once, cluster-wide and replicated, as a key of the sharded worker set
 * {@value #SET}; the key's worker runs only on the node that owns it in the ring, processes it and
 * removes it ({@code halt}). Nothing routes messages by hand and nothing asks "is it mine?": nodes
 * come and go, the keys follow the ring (handed off on a graceful leave, restarted after the fence
 * when a node crashes) and no stored message is lost.
 *
 * <p>Processing is idempotent (the result is written under the message id with
 * {@code putIfAbsent}), because a node that crashes after processing a message but before removing
 * it leaves the message to be processed again by the next owner: at-least-once delivery, effectively
 * once. The map stands for the application's own store of results: Infinispan's cluster-wide map
 * keeps two copies of each entry, so two nodes lost within one rebalance can lose entries of it;
 * results that must survive that belong in a durable store.
 */
public final class ZeroCostDistribution {

  /** The worker set that holds the messages not processed yet. */
  public static final String SET = "messages";
  /** The cluster-wide map of processed messages: message id → the node that processed it. */
  public static final String PROCESSED = "processed";

  private final ShardedWorkers messages;
  private final Set<String> processedHere;

  private ZeroCostDistribution(ShardedWorkers messages, Set<String> processedHere) {
    this.messages = messages;
    this.processedHere = processedHere;
  }

  /**
   * Starts one node from {@code CLOISTER_*} environment variables, then a pretend broker that hands
   * this node a message every 20 ms; prints what it processed every 5 s.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    CloisterOptions options = CloisterOptions.fromEnvironment().validate();
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered().await();
    vertx.deployVerticle(new CloisterVerticle(options)).await();
    ZeroCostDistribution node = start(vertx).await();
    vertx.setPeriodic(20, id -> node.receive("entity-" + ThreadLocalRandom.current().nextInt(1000),
      UUID.randomUUID().toString(), new JsonObject().put("amount", 1)));
    vertx.setPeriodic(5000, id -> node.pending().onSuccess(pending -> System.out.println(
      Cloister.of(vertx).state().getNode() + ": processed " + node.processedHere() + " here, "
        + pending + " waiting in the cluster")));
  }

  /**
   * Starts the message processor on a node whose Cloister is deployed: every node that starts it
   * takes its share of the messages.
   *
   * @param vertx the node's Vert.x
   * @return the processor, once started
   */
  public static Future<ZeroCostDistribution> start(Vertx vertx) {
    Set<String> processedHere = ConcurrentHashMap.newKeySet();
    String node = Cloister.of(vertx).state().getNode();
    Future<AsyncMap<String, String>> processed = vertx.sharedData().getClusterWideMap(PROCESSED);
    return processed.compose(results -> ShardedWorkers.start(vertx, SET,
        // A message is processed at its key's first tick on its owner: 100 ms after it was stored,
        // handed off, or restarted after a crash.
        new WorkersOptions().setTick(100),
        new MessageWorker(node, results, processedHere)))
      .map(set -> new ZeroCostDistribution(set, processedHere));
  }

  /**
   * Stores a message received from the broker; acknowledge it to the broker once this succeeds
   * (it is then replicated and will be processed even if this node dies). A message delivered twice
   * is stored once.
   *
   * @param entity what the message is about
   * @param id the message's id, unique per message
   * @param body the message
   * @return completes once stored
   */
  public Future<Void> receive(String entity, String id, JsonObject body) {
    return messages.putNew(id, new JsonObject().put("entity", entity).put("body", body)).mapEmpty();
  }

  /** @return the messages stored and not yet processed, in the whole cluster */
  public Future<Long> pending() {
    return messages.size();
  }

  /**
   * @param id a message's id
   * @return whether it is stored, waiting to be processed
   */
  public Future<Boolean> isStored(String id) {
    return messages.get(id).map(stored -> stored != null);
  }

  /** @return how many messages this node processed */
  public long processedHere() {
    return processedHere.size();
  }

  /** @return the ids of the messages this node processed first */
  public Set<String> processedIds() {
    return Set.copyOf(processedHere);
  }

  /** Leaves: this node's messages go to the others (handed off), none is lost. */
  public Future<Void> close() {
    return messages.close();
  }

  /** Processes one message on the node that owns it, then removes it. */
  private static final class MessageWorker implements Worker {

    private final String node;
    private final AsyncMap<String, String> results;
    private final Set<String> processedHere;

    MessageWorker(String node, AsyncMap<String, String> results, Set<String> processedHere) {
      this.node = node;
      this.results = results;
      this.processedHere = processedHere;
    }

    @Override
    public Future<WorkOutcome> perform(String id, JsonObject message) {
      // The application's work goes here; this one records who processed what, once per message id.
      String result = node + " " + message.getString("entity");
      return results.putIfAbsent(id, result).map(earlier -> {
        // A write that Infinispan retried across a topology change can answer with its own first
        // attempt: a result equal to this node's is this node's processing.
        if (earlier == null || earlier.equals(result)) {
          processedHere.add(id);
        }
        return WorkOutcome.halt();
      });
    }
  }
}
