package examples;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import io.vertx.core.Vertx;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The application of the Docker image and the Kubernetes StatefulSet: one Cloister node configured
 * by the {@code CLOISTER_*} environment variables, with its health endpoint on port
 * {@value CloisterHttpVerticle#DEFAULT_PORT}.
 *
 * <pre>
 * CLOISTER_SENTRY=cloister.local CLOISTER_CONSENSUS=3 java -cp ... examples.ClusterApp
 * </pre>
 *
 * <p>Two nodes on one machine: the same static sentry, each takes the first free port it lists,
 * and an HTTP port of its own as the argument:
 * <pre>
 * export CLOISTER_SENTRY=127.0.0.1:7801,127.0.0.1:7802 CLOISTER_CONSENSUS=2 CLOISTER_LOOPBACK=true
 * java -cp ... examples.ClusterApp 8558 &amp;
 * java -cp ... examples.ClusterApp 8559
 * </pre>
 */
public final class ClusterApp {

  private static final Logger log = Logger.getLogger(ClusterApp.class.getName());

  private ClusterApp() {
  }

  /**
   * Starts the node; exits with status 1 when it cannot start, so the orchestrator restarts it.
   *
   * @param args optionally the HTTP port (several nodes on one machine); everything else comes
   *     from the environment, as containers are configured
   */
  public static void main(String[] args) {
    int httpPort = args.length > 0 ? Integer.parseInt(args[0]) : CloisterHttpVerticle.DEFAULT_PORT;
    // Reads CLOISTER_SENTRY, CLOISTER_CONSENSUS, CLOISTER_CLUSTER_HOST, ... and fails at once on a bad value.
    CloisterClusterManager clusterManager = new CloisterClusterManager();
    // Cloister logs every transition itself; the application reacts to what matters to it:
    // whether this node should take work now.
    CloisterListener transitions = (from, to, state) -> {
      boolean serving = to == CloisterStatus.READY || to == CloisterStatus.NONODE;
      boolean wasServing = from == CloisterStatus.READY || from == CloisterStatus.NONODE;
      if (serving != wasServing) {
        log.info(() -> state.getNode() + (serving ? " takes work" : " stops taking work") + " (" + from + " -> "
          + to + "), members " + state.memberNames());
      }
    };

    Vertx.builder().withClusterManager(clusterManager).buildClustered()
      .compose(vertx -> {
        // No shutdown hook here: Cloister installs one (option shutdownHook) that leaves gracefully
        // on SIGTERM (docker stop, pod deletion), so the others rehash at once instead of waiting
        // for failure detection, then closes Vert.x.
        // The HTTP verticle first: probes must get answers (503 not ready, 200 alive) while the node
        // waits for consensus, and the Cloister deployment completes only at READY.
        return vertx.deployVerticle(new CloisterHttpVerticle(CloisterHttpVerticle.DEFAULT_HOST, httpPort))
          .compose(id -> vertx.deployVerticle(new CloisterVerticle(clusterManager.options(), transitions)));
      })
      .onSuccess(id -> log.info("Cloister node ready; health on port " + httpPort))
      .onFailure(err -> {
        log.log(Level.SEVERE, "Cloister node could not start: " + err.getMessage(), err);
        System.exit(1);
      });
  }
}
