package dev.cloister.impl.transport;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.WorkerPool;

import java.util.concurrent.TimeUnit;

/**
 * Cloister's own worker threads, apart from the application's. Vert.x runs every
 * {@code executeBlocking} of a node on one pool of 20 threads by default: an application whose
 * blocking work fills it would hold up the node's membership reads and writes and its worker
 * sets' writes, and the node would stop following the cluster (a production cluster library
 * keeps its own threads for this, as Akka's internal dispatcher does). A pool creates its threads
 * as work comes, up to its size, and they stay: an idle node has a few of them instead of the 20
 * its blocking calls used to start in the shared pool.
 */
public final class BlockingPools {

  /** The membership's reads and writes, the node's start and leave, the ring builds. */
  public static final String NODE = "cloister-blocking";
  /** Threads of {@link #NODE}. */
  public static final int NODE_SIZE = 2;
  /** Every worker set's scans and key-store writes (payloads, cell leases). */
  public static final String WORKERS = "cloister-workers";
  /** Threads of {@link #WORKERS}. */
  public static final int WORKERS_SIZE = 4;
  /** When Vert.x warns that a task holds one of these threads, s (its default for worker pools). */
  private static final long MAX_EXECUTE_S = 60;

  private BlockingPools() {
  }

  /**
   * A handle on the node pool; close it when done (the pool goes once every handle is closed).
   * Its {@code executeBlocking} completes on the caller's context and keeps its ordering.
   *
   * @param vertx the node's Vert.x
   * @return the executor
   */
  public static WorkerExecutor node(Vertx vertx) {
    return vertx.createSharedWorkerExecutor(NODE, NODE_SIZE, MAX_EXECUTE_S, TimeUnit.SECONDS);
  }

  /**
   * A handle on the workers' pool, for a context built on it; close it when done.
   *
   * @param vertx the node's Vert.x
   * @return the pool
   */
  public static WorkerPool workers(VertxInternal vertx) {
    return vertx.createSharedWorkerPool(WORKERS, WORKERS_SIZE, MAX_EXECUTE_S, TimeUnit.SECONDS);
  }

  /**
   * Deployment options running a worker verticle on the node pool.
   *
   * @param options the options to complete
   * @return the same options
   */
  public static DeploymentOptions onNodePool(DeploymentOptions options) {
    return options.setWorkerPoolName(NODE).setWorkerPoolSize(NODE_SIZE).setMaxWorkerExecuteTime(MAX_EXECUTE_S)
      .setMaxWorkerExecuteTimeUnit(TimeUnit.SECONDS);
  }
}
