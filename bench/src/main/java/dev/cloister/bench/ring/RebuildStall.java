package dev.cloister.bench.ring;

import dev.cloister.impl.ring.RingMaintainer;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How late a 1 ms periodic timer on a node's event-loop context fires while the rings of a
 * 1000-member membership are rebuilt: in place on that context (how the node used to do it),
 * and ordered from the ring maintenance worker verticle (how it does it now). Prints a table;
 * asserts nothing.
 */
public final class RebuildStall {

  private static final int VNODES = 4096;
  private static final long TICK_MS = 1;

  private RebuildStall() {
  }

  /** One measured rebuild: how long it took and the longest gap between two ticks meanwhile. */
  private record Run(double buildMs, double maxTickGapMs) {
  }

  public static void main(String[] args) throws Exception {
    int members = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 9;
    Vertx vertx = Vertx.vertx();
    try {
      Context context = vertx.getOrCreateContext();
      RingMaintainer.Client maintainer = RingMaintainer.deploy(vertx, "bench").await(30, TimeUnit.SECONDS);
      System.out.println("== Ring rebuild at N = " + members + " (" + VNODES + " vnodes), " + runs
        + " runs after 3 warm-up runs: timer ticks every " + TICK_MS + " ms on the node's context ==");
      System.out.printf("| %-40s | %14s | %22s | %22s |%n", "rebuild", "build ms p50", "timer late ms p50", "timer late ms max");
      System.out.println("|------------------------------------------|----------------|------------------------|------------------------|");
      for (boolean onWorker : new boolean[] {false, true}) {
        List<Run> measured = new ArrayList<>();
        for (int i = 0; i < runs + 3; i++) {
          // Alternate the membership so that every build is a real rebuild.
          Map<String, List<String>> groups = Map.of("app", names(members - (i % 2)));
          long build = i + 1;
          Run run = measure(vertx, context, () -> onWorker
            ? maintainer.build(new RingMaintainer.Build(build, groups, VNODES)).map(RingMaintainer.Built::rings)
            : Future.succeededFuture(Rings.EMPTY.next(groups, VNODES)));
          if (i >= 3) {
            measured.add(run);
          }
        }
        double[] builds = measured.stream().mapToDouble(Run::buildMs).sorted().toArray();
        double[] late = measured.stream().mapToDouble(r -> Math.max(0, r.maxTickGapMs() - TICK_MS)).sorted().toArray();
        System.out.printf("| %-40s | %14.1f | %22.1f | %22.1f |%n",
          onWorker ? "after: ring maintenance worker verticle" : "before: in place on the event loop",
          builds[builds.length / 2], late[late.length / 2], late[late.length - 1]);
      }
      System.out.println();
      System.out.println("(a shared 2-core machine: expect noise; 'late' is the longest gap between two ticks minus the period)");
      maintainer.close().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private interface Rebuild {
    Future<Rings> start();
  }

  private static Run measure(Vertx vertx, Context context, Rebuild rebuild) throws Exception {
    Promise<Run> done = Promise.promise();
    context.runOnContext(v -> {
      long[] last = {System.nanoTime()};
      long[] maxGap = {0};
      long ticker = vertx.setPeriodic(TICK_MS, id -> {
        long now = System.nanoTime();
        maxGap[0] = Math.max(maxGap[0], now - last[0]);
        last[0] = now;
      });
      // Let the ticker settle, then rebuild and keep ticking a little after the rings are back.
      vertx.setTimer(30, id -> {
        maxGap[0] = 0;
        last[0] = System.nanoTime();
        long t0 = System.nanoTime();
        rebuild.start().onComplete((rings, err) -> {
          long took = System.nanoTime() - t0;
          vertx.setTimer(10, id2 -> {
            vertx.cancelTimer(ticker);
            if (err != null) {
              done.fail(err);
            } else {
              done.complete(new Run(took / 1e6, maxGap[0] / 1e6));
            }
          });
        });
      });
    });
    return done.future().await(60, TimeUnit.SECONDS);
  }

  private static List<String> names(int n) {
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = String.format("app@10.0.%d.%d:7800", i / 250, i % 250);
    }
    Arrays.sort(out);
    return List.of(out);
  }
}
