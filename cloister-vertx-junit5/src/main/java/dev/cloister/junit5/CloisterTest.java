package dev.cloister.junit5;

import dev.cloister.junit5.internal.CloisterExtension;
import io.vertx.core.Verticle;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a test (or every test of a class) against a real Cloister cluster, handed to it as a
 * {@link CloisterCluster} parameter of the test method, or of a {@code @BeforeAll},
 * {@code @BeforeEach} or constructor of the class.
 *
 * <pre>
 * &#64;CloisterTest(nodes = 3, consensus = 2)
 * class MyClusterTest {
 *   &#64;Test
 *   void survivorsAgree(CloisterCluster cluster) {
 *     cluster.kill(2);
 *     cluster.awaitConverged();
 *   }
 * }
 * </pre>
 *
 * <p>On a class, the cluster is started once, before the first test, and shared by the class's
 * tests; on a method, that test gets a cluster of its own. Either way every node is READY when the
 * test starts, each cluster has its own app name and free loopback ports (tests never see each
 * other's nodes), the nodes are closed in order at the end, and a failing test prints each node's
 * last transitions.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(CloisterExtension.class)
public @interface CloisterTest {

  /** @return how many nodes start */
  int nodes() default 3;

  /** @return the consensus of every node; 0 (the default) means all of {@link #nodes()} */
  int consensus() default 0;

  /** @return where the nodes run */
  Mode mode() default Mode.IN_JVM;

  /**
   * Verticles deployed on every node once its Cloister is READY (also on restarted and added
   * nodes), each built with its public no-argument constructor; they find the node's Cloister
   * with {@code Cloister.of(vertx)}.
   *
   * @return the verticle classes
   */
  Class<? extends Verticle>[] deploy() default {};

  /** @return how long each {@code await} and {@code eventually} waits before failing, in seconds */
  int timeoutSeconds() default 60;

  /** Where the nodes of a test cluster run. */
  enum Mode {
    /** Several clustered Vert.x instances in the test's JVM: fast; {@code kill} closes a node's channel. */
    IN_JVM,
    /**
     * One JVM per node, started from the test's class path: {@code kill} is a real {@code kill -9};
     * a node's {@code vertx()} and {@code cloister()} are then out of reach, its {@code state()} is not.
     */
    PROCESS
  }
}
