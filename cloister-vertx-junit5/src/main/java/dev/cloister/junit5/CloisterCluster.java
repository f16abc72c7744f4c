package dev.cloister.junit5;

import dev.cloister.CloisterOptions;
import dev.cloister.junit5.internal.InJvmNodes;
import dev.cloister.junit5.internal.KitConfig;
import dev.cloister.junit5.internal.ProcessNodes;
import io.vertx.core.Verticle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A real Cloister cluster for a test: nodes on loopback forming one JGroups/Infinispan cluster,
 * with the operations a clustered test needs (crash, graceful stop, restart, join, partition,
 * heal) and bounded waits that fail with what was awaited and what each node showed.
 *
 * <p>{@link CloisterTest} hands one to a test; {@link #builder()} makes one by hand (close it).
 * Every wait is bounded by the cluster's timeout (60 s unless set), a bound on waiting, not an
 * assertion about speed.
 */
public interface CloisterCluster extends AutoCloseable {

  /** @return a builder of a cluster of 3 in-JVM nodes with consensus 3 */
  static Builder builder() {
    return new Builder();
  }

  /** @return how many nodes the cluster has had (up or not): indexes run from 0 to size() - 1 */
  int size();

  /**
   * One node.
   *
   * @param index its index
   * @return the node
   * @throws IndexOutOfBoundsException when there is no such node
   */
  CloisterNode node(int index);

  /** @return the app name, this cluster's alone */
  String app();

  /** Waits until every node that is up is READY. */
  void awaitReady();

  /**
   * Waits until every node that is up is READY and they agree: each one's members are exactly
   * the nodes that are up, and their rings have the same checksum.
   */
  void awaitConverged();

  /**
   * Waits until these nodes are READY and agree among themselves as {@link #awaitConverged()}
   * says: one side of a partition, for instance.
   *
   * @param indexes the nodes
   */
  void awaitConverged(int... indexes);

  /**
   * Crashes a node: it leaves nothing behind and says goodbye to no one, so the others find out
   * through failure detection (in process mode, {@code kill -9} of its JVM).
   *
   * @param index the node
   */
  void kill(int index);

  /**
   * Stops a node gracefully: it leaves the cluster (its record goes first) and closes.
   *
   * @param index the node
   */
  void stop(int index);

  /**
   * Starts a node again under the same name and port (stopping it gracefully first if it is up)
   * and waits until it is READY.
   *
   * @param index the node
   */
  void restart(int index);

  /**
   * Starts one more node and waits until it is READY.
   *
   * @return its index
   */
  int addNode();

  /**
   * Cuts the cluster into sides: no message passes between nodes of different sides until
   * {@link #heal()}. Nodes named in no side keep hearing everyone.
   *
   * @param sides the sides, each a list of node indexes
   */
  void partition(int[]... sides);

  /** Lets every message through again. */
  void heal();

  /**
   * Runs an assertion until it passes, failing with its last error when the timeout passes.
   *
   * @param assertion the assertion (fails by throwing)
   */
  void eventually(Runnable assertion);

  /** @return one line per node: its status, members and checksum, and its last transitions */
  String describe();

  /** Closes every node in order (the last started first). */
  @Override
  void close();

  /** How to make a {@link CloisterCluster}. */
  final class Builder {

    private int nodes = 3;
    private int consensus;
    private CloisterTest.Mode mode = CloisterTest.Mode.IN_JVM;
    private Duration timeout = Duration.ofSeconds(60);
    private final List<Class<? extends Verticle>> deploy = new ArrayList<>();
    private BiFunction<Integer, CloisterOptions, CloisterOptions> options = (i, o) -> o;

    Builder() {
    }

    /**
     * @param nodes how many nodes start, at least 1
     * @return this
     */
    public Builder nodes(int nodes) {
      if (nodes < 1) {
        throw new IllegalArgumentException("nodes must be at least 1, was " + nodes);
      }
      this.nodes = nodes;
      return this;
    }

    /**
     * @param consensus the consensus of every node, at least 1; 0 means all nodes
     * @return this
     */
    public Builder consensus(int consensus) {
      if (consensus < 0) {
        throw new IllegalArgumentException("consensus must be 0 (all nodes) or more, was " + consensus);
      }
      this.consensus = consensus;
      return this;
    }

    /**
     * @param mode where the nodes run
     * @return this
     */
    public Builder mode(CloisterTest.Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * @param timeout how long each wait lasts before failing
     * @return this
     */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * @param verticle a verticle deployed on every node once it is READY (see {@link CloisterTest#deploy()})
     * @return this
     */
    public Builder deploy(Class<? extends Verticle> verticle) {
      deploy.add(Objects.requireNonNull(verticle, "verticle"));
      return this;
    }

    /**
     * Adjusts each node's options (in-JVM mode only: node JVMs read theirs from the environment).
     * The kit has set app, sentry, consensus, loopback, port and node name; keep those.
     *
     * @param options node index and the kit's options to the options the node runs with
     * @return this
     */
    public Builder options(BiFunction<Integer, CloisterOptions, CloisterOptions> options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Starts every node and waits until all are READY; on failure, whatever started is closed.
     *
     * @return the cluster
     */
    public CloisterCluster start() {
      int c = consensus == 0 ? nodes : consensus;
      if (c > nodes) {
        throw new IllegalArgumentException("consensus " + c + " exceeds the " + nodes + " nodes");
      }
      KitConfig config = new KitConfig(nodes, c, timeout, List.copyOf(deploy), options);
      return mode == CloisterTest.Mode.IN_JVM ? InJvmNodes.start(config) : ProcessNodes.start(config);
    }
  }
}
