package dev.cloister.bench;

import dev.cloister.Cloister;
import dev.cloister.NodeReply;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.LogManager;

import static dev.cloister.testing.InJvmCluster.await;

/**
 * Latency and throughput of {@code multicall} to three nodes against the bare equivalent, three
 * event-bus requests to one consumer per node composed with {@code Future.all}, on a three-node
 * in-JVM cluster. A third row, a hand-written relay consumer on each node, separates the cost of
 * the node-scoped hop itself from the cost of Cloister's code. Prints a table; asserts nothing.
 *
 * <pre>mvn -q test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.cloister.bench.CallsBench</pre>
 */
public final class CallsBench {

  private static final int WARMUP = 5_000;
  private static final int MEASURED = 20_000;
  private static final int BLOCK = 500;
  private static final int IN_FLIGHT = 32;
  private static final int THROUGHPUT_OPS = 30_000;

  private CallsBench() {
  }

  /**
   * Runs the benchmark.
   *
   * @param args unused
   * @throws Exception when the cluster cannot start
   */
  public static void main(String[] args) throws Exception {
    try (InputStream in = CallsBench.class.getResourceAsStream("/logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    }
    try (InJvmCluster cluster = new InJvmCluster(3)) {
      for (int i = 0; i < 3; i++) {
        cluster.start(i, cluster.options(i, 3));
      }
      cluster.nodes().forEach(n -> await(n.deployment));
      List<String> names = new ArrayList<>();
      for (InJvmCluster.Node n : cluster.nodes()) {
        String name = "node" + n.index;
        names.add(name);
        EventBus eb = n.vertx.eventBus();
        // Same reply work on both paths: the bare one on a per-node address, the Cloister one on a shared address.
        await(eb.consumer("bench.bare." + name, m -> m.reply(m.body())).completion());
        await(eb.consumer("bench.echo", m -> m.reply(m.body())).completion());
        // The same consumer registered through Cloister: multicall reaches it on its node-scoped alias.
        await(n.cloister().consumer("bench.direct", m -> m.reply(m.body())).completion());
        // A hand-written relay with no Cloister code, on the same event loop as the inbox: the cost
        // of the node-scoped hop itself (network loop -> relay loop -> consumer loop and back).
        // Pinned to Cloister's own context, where the inbox runs: a future that completes there tells it.
        Context cctx = await(n.cloister().siblingsRefreshed().map(x -> Vertx.currentContext()));
        Promise<Void> reg = Promise.promise();
        cctx.runOnContext(vv -> eb.consumer("bench.relay." + name, m -> eb.request("bench.echo", m.body(),
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true))
          .onComplete((r, err) -> {
            if (err == null) {
              m.reply(r.body());
            } else {
              m.fail(500, err.getMessage());
            }
          })).completion().onComplete(reg));
        await(reg.future());
      }
      InJvmCluster.Node caller = cluster.nodes().get(0);
      Cloister cloister = caller.cloister();
      EventBus eb = caller.vertx.eventBus();
      Context context = caller.vertx.getOrCreateContext();
      String body = "ping";

      Supplier<Future<?>> bare = () -> Future.all(
        eb.request("bench.bare.node0", body), eb.request("bench.bare.node1", body), eb.request("bench.bare.node2", body));
      Supplier<Future<?>> relay = () -> Future.all(
        eb.request("bench.relay.node0", body), eb.request("bench.relay.node1", body), eb.request("bench.relay.node2", body));
      Supplier<Future<?>> multicall = () -> cloister.multicall(names, "bench.echo", body).map(CallsBench::allSucceeded);
      Supplier<Future<?>> direct = () -> cloister.multicall(names, "bench.direct", body).map(CallsBench::allSucceeded);

      // whois over the event bus beside a bare local request that replies a JSON object of the same shape.
      io.vertx.core.json.JsonObject answer = new io.vertx.core.json.JsonObject().put("node", "node1")
        .put("group", "cloister").put("ringVersion", 3);
      // On its own context, as Cloister's whois consumer is: both pay the same hand-off between event loops.
      Promise<Void> localReg = Promise.promise();
      ((io.vertx.core.internal.VertxInternal) caller.vertx).createEventLoopContext().runOnContext(vv ->
        eb.localConsumer("bench.local", m -> m.reply(answer)).completion().onComplete(localReg));
      await(localReg.future());
      int[] k = {0};
      Supplier<Future<?>> bareLocal = () -> eb.request("bench.local",
        new io.vertx.core.json.JsonObject().put("key", "user-" + (k[0]++ & 1023)));
      Supplier<Future<?>> whois = () -> eb.request("cloister.whois",
        new io.vertx.core.json.JsonObject().put("key", "user-" + (k[0]++ & 1023)));

      sequential(context, bare, WARMUP);
      sequential(context, relay, WARMUP);
      sequential(context, multicall, WARMUP);
      sequential(context, direct, WARMUP);
      sequential(context, bareLocal, WARMUP);
      sequential(context, whois, WARMUP);
      // Interleaved blocks, so that both see the same machine load (other builds run here too).
      long[] bareNs = new long[MEASURED];
      long[] callNs = new long[MEASURED];
      long[] directNs = new long[MEASURED];
      long[] relayNs = new long[MEASURED];
      long[] localNs = new long[MEASURED];
      long[] whoisNs = new long[MEASURED];
      for (int done = 0; done < MEASURED; done += BLOCK) {
        System.arraycopy(sequential(context, bare, BLOCK), 0, bareNs, done, BLOCK);
        System.arraycopy(sequential(context, relay, BLOCK), 0, relayNs, done, BLOCK);
        System.arraycopy(sequential(context, multicall, BLOCK), 0, callNs, done, BLOCK);
        System.arraycopy(sequential(context, direct, BLOCK), 0, directNs, done, BLOCK);
        System.arraycopy(sequential(context, bareLocal, BLOCK), 0, localNs, done, BLOCK);
        System.arraycopy(sequential(context, whois, BLOCK), 0, whoisNs, done, BLOCK);
      }
      double localTput = Math.max(throughput(context, bareLocal), throughput(context, bareLocal));
      double whoisTput = Math.max(throughput(context, whois), throughput(context, whois));
      Arrays.sort(localNs);
      Arrays.sort(whoisNs);
      long apiNs = whoisApiNs(cloister);
      double bareTput = throughput(context, bare);
      double relayTput = throughput(context, relay);
      double callTput = throughput(context, multicall);
      double directTput = throughput(context, direct);
      double bareTput2 = throughput(context, bare);
      double relayTput2 = throughput(context, relay);
      double callTput2 = throughput(context, multicall);
      double directTput2 = throughput(context, direct);

      Arrays.sort(bareNs);
      Arrays.sort(callNs);
      Arrays.sort(directNs);
      Arrays.sort(relayNs);
      System.out.println();
      System.out.println("3-node in-JVM cluster, " + MEASURED + " sequential ops each (interleaved), throughput with "
        + IN_FLIGHT + " in flight");
      System.out.println("| operation | p50 µs | p99 µs | throughput ops/s |");
      System.out.println("|---|---:|---:|---:|");
      row("bare: 3 requests + Future.all", bareNs, Math.max(bareTput, bareTput2));
      row("hand-written relay on the inbox's loop", relayNs, Math.max(relayTput, relayTput2));
      row("multicall to 3 nodes, plain consumers (relayed)", callNs, Math.max(callTput, callTput2));
      row("multicall to 3 nodes, cloister.consumer (direct)", directNs, Math.max(directTput, directTput2));
      System.out.printf("direct multicall / bare at p50: %.2f x, at p99: %.2f x%n",
        (double) pct(directNs, 50) / pct(bareNs, 50), (double) pct(directNs, 99) / pct(bareNs, 99));
      System.out.printf("multicall overhead at p50: %+.1f%%, at p99: %+.1f%%%n",
        100.0 * (pct(callNs, 50) - pct(bareNs, 50)) / pct(bareNs, 50),
        100.0 * (pct(callNs, 99) - pct(bareNs, 99)) / pct(bareNs, 99));
      System.out.printf("multicall over the hand-written relay at p50: %+.1f%%%n",
        100.0 * (pct(callNs, 50) - pct(relayNs, 50)) / pct(relayNs, 50));
      System.out.println();
      System.out.println("| operation | p50 µs | p99 µs | throughput ops/s |");
      System.out.println("|---|---:|---:|---:|");
      row("bare local request, JSON reply", localNs, localTput);
      row("whois over the event bus (cloister.whois)", whoisNs, whoisTput);
      System.out.printf("whois overhead over the bare local request at p50: %+.1f%%%n",
        100.0 * (pct(whoisNs, 50) - pct(localNs, 50)) / pct(localNs, 50));
      System.out.printf("whois(key) called directly: %d ns per call%n", apiNs);
    }
    System.exit(0);
  }

  /** Mean ns of a direct whois() call, over a million calls after a warm-up. */
  private static long whoisApiNs(Cloister cloister) {
    String[] keys = new String[1024];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "user-" + i;
    }
    int sink = 0;
    for (int i = 0; i < 2_000_000; i++) {
      sink += cloister.whois(keys[i & 1023]).length();
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < 1_000_000; i++) {
      sink += cloister.whois(keys[i & 1023]).length();
    }
    long ns = (System.nanoTime() - t0) / 1_000_000;
    return sink == 0 ? -1 : ns;
  }

  private static void row(String name, long[] sortedNs, double tput) {
    System.out.printf("| %s | %.1f | %.1f | %.0f |%n", name, pct(sortedNs, 50) / 1000.0, pct(sortedNs, 99) / 1000.0, tput);
  }

  private static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  /** Runs {@code n} operations one after the other on the caller's context, timing each. */
  private static long[] sequential(Context context, Supplier<Future<?>> op, int n) {
    long[] out = new long[n];
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> next(op, out, 0, done));
    await(done.future());
    return out;
  }

  private static void next(Supplier<Future<?>> op, long[] out, int i, Promise<Void> done) {
    if (i == out.length) {
      done.complete();
      return;
    }
    long t0 = System.nanoTime();
    op.get().onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      out[i] = System.nanoTime() - t0;
      next(op, out, i + 1, done);
    });
  }

  /** Operations per second with {@link #IN_FLIGHT} operations outstanding at all times. */
  private static double throughput(Context context, Supplier<Future<?>> op) {
    Promise<Void> done = Promise.promise();
    int[] started = {0};
    int[] finished = {0};
    long[] t0 = new long[1];
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      started[0]++;
      op.get().onComplete(ar -> {
        if (ar.failed()) {
          done.tryFail(ar.cause());
          return;
        }
        if (++finished[0] == THROUGHPUT_OPS) {
          done.complete();
        } else if (started[0] < THROUGHPUT_OPS) {
          launch[0].run();
        }
      });
    };
    context.runOnContext(v -> {
      t0[0] = System.nanoTime();
      for (int i = 0; i < IN_FLIGHT; i++) {
        launch[0].run();
      }
    });
    await(done.future());
    return THROUGHPUT_OPS / ((System.nanoTime() - t0[0]) / 1e9);
  }

  private static List<NodeReply> allSucceeded(List<NodeReply> replies) {
    for (NodeReply r : replies) {
      if (!r.isSucceeded()) {
        throw new IllegalStateException(r.toString());
      }
    }
    return replies;
  }
}
