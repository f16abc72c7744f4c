package dev.cloister.workers;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.WorkHistory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * A node JVM that runs the worker set {@code crash} (its options from {@code CLOISTER_*}, its tick
 * from {@code WORKERS_TICK}, 100 ms by default) and prints
 * each start, stop and perform as a line {@code @@w <event> <micros> <key> <detail>}, timed by the
 * machine's wall clock, so that a test can merge them with its own history. Keys {@code p-*} count
 * their performs in their payload.
 */
public final class WorkersNodeMain {

  static final String PREFIX = "@@w ";

  private WorkersNodeMain() {
  }

  /**
   * One event line of a node JVM.
   *
   * @param event start, stop, perform or ready
   * @param at when, wall-clock micros
   * @param key the key
   * @param detail the payload of a start or perform, the reason of a stop
   */
  record Line(String event, long at, String key, String detail) {

    /** @return the event of line {@code l}, or null for the JVM's other output */
    static Line parse(String l) {
      if (!l.startsWith(PREFIX)) {
        return null;
      }
      String[] f = l.substring(PREFIX.length()).split(" ", 4);
      return new Line(f[0], Long.parseLong(f[1]), f[2], f[3]);
    }

    /** @return the start or stop this line records on {@code node}, or null for another event */
    WorkHistory.Event toHistory(String node) {
      return switch (event) {
        case "start" -> new WorkHistory.Event(node, key, true, at, detail);
        case "stop" -> new WorkHistory.Event(node, key, false, at, detail);
        default -> null;
      };
    }
  }

  static long micros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  private static synchronized void print(String event, String key, String detail) {
    System.out.println(PREFIX + event + " " + micros() + " " + key + " " + detail);
  }

  /**
   * Starts the node and the set.
   *
   * @param args ignored
   * @throws Exception when it cannot start
   */
  public static void main(String[] args) throws Exception {
    CloisterOptions options = CloisterOptions.fromEnvironment().validate();
    Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager()).buildClustered()
      .await(120, TimeUnit.SECONDS);
    vertx.deployVerticle(new CloisterVerticle(options)).await(120, TimeUnit.SECONDS);
    String tick = System.getenv().getOrDefault("WORKERS_TICK", "100");
    ShardedWorkers.start(vertx, "crash", new WorkersOptions().setTick(Long.parseLong(tick)), new Worker() {
      @Override
      public Future<Void> start(String key, JsonObject payload) {
        print("start", key, payload.encode());
        return Future.succeededFuture();
      }

      @Override
      public Future<WorkOutcome> perform(String key, JsonObject payload) {
        if (!key.startsWith("p-")) {
          return Future.succeededFuture(WorkOutcome.ok());
        }
        // What this perform sees was stored before it began: that count is durable.
        print("perform", key, payload.encode());
        return Future.succeededFuture(WorkOutcome.replace(payload.copy().put("n", payload.getInteger("n", 0) + 1)));
      }

      @Override
      public void stop(String key, JsonObject payload, String reason) {
        print("stop", key, reason);
      }
    }).await(60, TimeUnit.SECONDS);
    print("ready", "-", "-");
    Thread.currentThread().join();
  }
}
