package dev.cloister.bench.peers;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * The initial placement of a sharding node: once every node takes part, creates entities
 * {@code e0} to {@code e(N-1)} from this node, at most {@value #IN_FLIGHT} unanswered at a time. A
 * failed creation (Pekko's ask timing out: its messages are delivered at most once) is sent again,
 * at most {@value #ATTEMPTS} times in all; then, or when the nodes do not all take part within
 * {@value #READY_TIMEOUT_MS} ms, the node halts through {@link NodeOutput#failed}.
 */
final class EntityLoad {

  /** Creations awaiting their answer at most, for every system. */
  static final int IN_FLIGHT = 1000;

  /** Attempts per entity at most. */
  static final int ATTEMPTS = 12;

  private static final long READY_TIMEOUT_MS = 60_000;

  private EntityLoad() {
  }

  /**
   * @param i the entity's index
   * @return its id (the key of a worker, the entity id of an actor)
   */
  static String id(int i) {
    return "e" + i;
  }

  /**
   * Creates the entities; returns once every creation was answered, after printing how many
   * creations were sent again ({@link NodeOutput#loaded}).
   *
   * @param count how many
   * @param allTakePart whether every node runs its part of the entities (polled; may block briefly)
   * @param create creates entity {@code i}; completes once the system answered
   */
  static void run(int count, BooleanSupplier allTakePart, IntFunction<CompletionStage<?>> create) {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (!allTakePart.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        NodeOutput.failed("entities", new TimeoutException("not every node takes part after "
          + READY_TIMEOUT_MS + " ms"));
      }
      NodeJvm.sleep(100);
    }
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    LongAdder retries = new LongAdder();
    NodeOutput.loading(count);
    for (int i = 0; i < count; i++) {
      inFlight.acquireUninterruptibly();
      create(i, 1, create, retries, inFlight::release);
    }
    inFlight.acquireUninterruptibly(IN_FLIGHT);
    NodeOutput.loaded(retries.sum());
  }

  /** Creates entity {@code i}, again on a failure while attempts remain; then runs {@code done}. */
  private static void create(int i, int attempt, IntFunction<CompletionStage<?>> create, LongAdder retries,
                             Runnable done) {
    create.apply(i).whenComplete((ok, failure) -> {
      if (failure == null) {
        done.run();
      } else if (attempt < ATTEMPTS) {
        retries.increment();
        create(i, attempt + 1, create, retries, done);
      } else {
        NodeOutput.failed("creating " + id(i) + " (" + attempt + " attempts)", failure);
      }
    });
  }
}
