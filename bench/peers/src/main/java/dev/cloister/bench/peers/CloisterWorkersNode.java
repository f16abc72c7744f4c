package dev.cloister.bench.peers;

import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CloisterNode} that also runs the sharded worker set {@value #SET}: each key's worker
 * does nothing but count its {@code start} and {@code stop} ({@link EntityCount}). Entities are
 * keys put from this node once every node's set owns keys; a graceful leave is
 * {@code vertx.close()}, which closes the set (its keys handed off) before the Cloister leaves.
 */
public final class CloisterWorkersNode {

  /** The worker set's name. */
  static final String SET = "entities";

  /** The settings key of the set's {@link WorkersOptions}, as JSON; no {@code CLOISTER_*} variable. */
  static final String WORKERS_OPTIONS = "WorkersOptions";

  /** Keys whose owners tell that every node runs the set: with 3 owners, all appear among these. */
  private static final int PROBE_KEYS = 300;

  private static final JsonObject PAYLOAD = new JsonObject();

  private CloisterWorkersNode() {
  }

  /**
   * The settings: Cloister's ({@link CloisterNode#settings}) and the set's options.
   *
   * @param tuned unused: Cloister runs its defaults
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>(CloisterNode.settings(tuned));
    // Defaults but the tick: a tick would perform every idle key each second, which the
    // counterpart's idle entity actors do not; 0 performs only after a put.
    s.put(WORKERS_OPTIONS, new WorkersOptions().setTick(0).toJson().encode());
    return s;
  }

  /** Counts starts and stops and does nothing else. */
  private static final class Counting implements Worker {
    private final EntityCount count;

    Counting(EntityCount count) {
      this.count = count;
    }

    @Override
    public Future<Void> start(String key, JsonObject payload) {
      count.started();
      return Future.succeededFuture();
    }

    @Override
    public Future<WorkOutcome> perform(String key, JsonObject payload) {
      return Future.succeededFuture(WorkOutcome.ok());
    }

    @Override
    public void stop(String key, JsonObject payload, String reason) {
      count.stopped();
    }
  }

  /**
   * Starts the node and the set.
   *
   * @param args see {@link NodeArgs#parse}
   * @throws Exception when the node or the set cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    Map<String, String> settings = a.expand(settings(a.tuned()));
    CloisterOptions options = new CloisterOptions().applyEnvironment(settings);
    Vertx vertx = CloisterNode.cluster(options);
    CloisterNode.deploy(vertx, options).await(120, TimeUnit.SECONDS);
    EntityCount count = new EntityCount();
    ShardedWorkers set = ShardedWorkers.start(vertx, SET,
      new WorkersOptions(new JsonObject(settings.get(WORKERS_OPTIONS))), new Counting(count))
      .await(120, TimeUnit.SECONDS);
    count.report();
    int nodes = a.ports().size();
    NodeOutput.commands(() -> vertx.close().onComplete(NodeOutput::exitAfterLeave),
      n -> EntityLoad.run(n, () -> owners(set) == nodes, i -> set.put(EntityLoad.id(i), PAYLOAD).toCompletionStage()));
  }

  /** @return how many nodes own some of the first keys in the set's ring; 0 while it has none */
  private static int owners(ShardedWorkers set) {
    Set<String> owners = new HashSet<>();
    try {
      for (int i = 0; i < PROBE_KEYS; i++) {
        owners.add(set.ownerOf(EntityLoad.id(i)));
      }
    } catch (CloisterException notYet) {
      return 0;
    }
    return owners.size();
  }
}
