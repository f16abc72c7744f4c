package dev.cloister.netrig;

import dev.cloister.Cloister;
import dev.cloister.CloisterOptions;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.Worker;
import dev.cloister.WorkersOptions;
import dev.cloister.impl.workers.LeaseView;
import dev.cloister.junit5.internal.FaultNodeMain;
import dev.cloister.launcher.NodeMain;
import dev.cloister.testing.NodeCaches;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.infinispan.context.Flag;
import org.infinispan.manager.EmbeddedCacheManager;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The rig's node JVM with sharded workers: the fault tests' node ({@link FaultNodeMain}) that,
 * once READY, runs the worker set {@code rig} (tick 200 ms, a no-op worker) and prints each start
 * and stop as an event ({@code wstart}, {@code wstop}, with wall-clock micros {@code us}), so that
 * a test merges every node's into one history. The command {@code seed <n>} adds keys
 * {@code k0..k<n-1>} (those that exist stay) and answers {@code seeded}; {@code wdiag k1 k2 ...}
 * answers {@code wdiag} with what this node knows of each key (its owner in this node's ring,
 * whether it runs here, the lease and payload in the local replica, this node's id), for a failure
 * message; {@code update <n> <v>} puts {@code {"v": v}} to keys {@code k0..k<n-1>} and answers
 * {@code updated} once every put was acknowledged (or one failed); {@code payloads <n> <v>} answers
 * {@code payloads} with the keys whose payload in this node's replica is not {@code {"v": v}}.
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
    if (line.startsWith("wdiag")) {
      diagnose(vertx, line.substring(5).trim().split("\\s+"));
      return true;
    }
    if (line.startsWith("update ")) {
      String[] a = line.substring(7).trim().split("\\s+");
      List<Future<Void>> puts = new ArrayList<>();
      for (int i = 0; i < Integer.parseInt(a[0]); i++) {
        puts.add(set.put("k" + i, new JsonObject().put("v", Integer.parseInt(a[1]))));
      }
      Future.join(puts).onComplete(ar -> NodeMain.printEvent(new JsonObject().put("event", "updated")
        .put("ok", ar.succeeded()).put("error", ar.succeeded() ? null : String.valueOf(ar.cause()))));
      return true;
    }
    if (line.startsWith("payloads ")) {
      String[] a = line.substring(9).trim().split("\\s+");
      EmbeddedCacheManager manager = NodeCaches.manager(vertx);
      JsonObject expected = new JsonObject().put("v", Integer.parseInt(a[1]));
      JsonObject wrong = new JsonObject();
      for (int i = 0; i < Integer.parseInt(a[0]); i++) {
        String stored = local(manager, "__cloister.workers.rig").get("k" + i);
        if (stored == null || !expected.equals(new JsonObject(stored))) {
          wrong.put("k" + i, stored);
        }
      }
      NodeMain.printEvent(new JsonObject().put("event", "payloads").put("wrong", wrong));
      return true;
    }
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

  private void diagnose(Vertx vertx, String[] keys) {
    EmbeddedCacheManager manager = NodeCaches.manager(vertx);
    JsonObject out = new JsonObject().put("event", "wdiag").put("self", String.valueOf(manager.getAddress()))
      .put("view", String.valueOf(manager.getMembers()));
    JsonObject perKey = new JsonObject();
    for (String key : keys) {
      if (key.isEmpty()) {
        continue;
      }
      JsonObject d = new JsonObject();
      try {
        d.put("owner", set.ownerOf(key));
      } catch (RuntimeException e) {
        d.put("owner", "? " + e.getMessage());
      }
      d.put("here", set.localKeys().contains(key))
        .put("lease", LeaseView.leaseOf(local(manager, "__cloister.workers.rig.leases").get(LeaseView.cacheKey(key)),
          key))
        .put("payload", local(manager, "__cloister.workers.rig").get(key));
      perKey.put(key, d);
    }
    out.put("keys", perKey).put("nodes", new JsonObject(new java.util.TreeMap<String, Object>(
      local(manager, "__cloister.workers.rig.nodes"))));
    NodeMain.printEvent(out);
  }

  private static org.infinispan.AdvancedCache<String, String> local(EmbeddedCacheManager manager, String cache) {
    return manager.<String, String>getCache(cache).getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_LOCKING);
  }
}
