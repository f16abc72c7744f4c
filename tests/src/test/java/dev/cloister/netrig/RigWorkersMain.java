package dev.cloister.netrig;

import dev.cloister.Cloister;
import dev.cloister.CloisterOptions;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.junit5.internal.FaultNodeMain;
import dev.cloister.launcher.NodeMain;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The rig's node JVM with sharded workers: the fault tests' node ({@link FaultNodeMain}) that,
 * once READY, runs the worker set {@code rig} (tick 200 ms, a no-op worker) and prints each start
 * and stop as an event ({@code wstart}, {@code wstop}, with wall-clock micros {@code us}), so that
 * a test merges every node's into one history. The command {@code seed <n>} adds keys
 * {@code k0..k<n-1>} (those that exist stay) and answers {@code seeded}.
 */
public final class RigWorkersMain implements NodeMain.Extension {

  private final FaultNodeMain faults = new FaultNodeMain();
  private volatile ShardedWorkers set;

  private RigWorkersMain() {
  }

  /**
   * Starts the node.
   *
   * @param args ignored: the environment configures the node
   * @throws Exception when it cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeMain.run(new RigWorkersMain());
  }

  static long micros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  @Override
  public void beforeCloister(Vertx vertx, CloisterOptions options) {
    faults.beforeCloister(vertx, options);
  }

  @Override
  public void afterCloister(Vertx vertx, Cloister cloister) throws Exception {
    set = ShardedWorkers.start(vertx, "rig", new WorkersOptions().setTick(200), new Worker() {
      @Override
      public Future<Void> start(String key, JsonObject payload) {
        NodeMain.printEvent(new JsonObject().put("event", "wstart").put("key", key).put("us", micros()));
        return Future.succeededFuture();
      }

      @Override
      public Future<WorkOutcome> perform(String key, JsonObject payload) {
        return Future.succeededFuture(WorkOutcome.ok());
      }

      @Override
      public void stop(String key, JsonObject payload, String reason) {
        NodeMain.printEvent(new JsonObject().put("event", "wstop").put("key", key).put("us", micros())
          .put("reason", reason));
      }
    }).await(60, TimeUnit.SECONDS);
  }

  @Override
  public boolean command(Vertx vertx, String line) {
    if (!line.startsWith("seed ")) {
      return faults.command(vertx, line);
    }
    int n = Integer.parseInt(line.substring(5).trim());
    List<Future<Boolean>> puts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      puts.add(set.putNew("k" + i, new JsonObject()));
    }
    Future.join(puts).onComplete(ar -> NodeMain.printEvent(new JsonObject().put("event", "seeded")
      .put("ok", ar.succeeded()).put("error", ar.succeeded() ? null : String.valueOf(ar.cause()))));
    return true;
  }
}
