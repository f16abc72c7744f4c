package dev.cloister.junit5;

import dev.cloister.Cloister;
import dev.cloister.CloisterState;
import io.vertx.core.Vertx;

import java.util.List;

/** One node of a {@link CloisterCluster}. */
public interface CloisterNode {

  /** @return its index in the cluster, as {@link CloisterCluster#node(int)} takes it */
  int index();

  /** @return its node name ({@code node<index>}), the name its ring and its siblings use */
  String name();

  /** @return whether it runs: started and neither killed nor stopped since */
  boolean isUp();

  /**
   * Its clustered Vert.x.
   *
   * @return the Vert.x
   * @throws UnsupportedOperationException in {@link CloisterTest.Mode#PROCESS} mode, where it lives in another JVM
   * @throws IllegalStateException when the node is not up
   */
  Vertx vertx();

  /**
   * Its Cloister.
   *
   * @return the Cloister
   * @throws UnsupportedOperationException in {@link CloisterTest.Mode#PROCESS} mode
   * @throws IllegalStateException when the node is not up
   */
  Cloister cloister();

  /**
   * Its current state (in process mode: as the node JVM last reported it).
   *
   * @return the state, or null before the node reported one
   */
  CloisterState state();

  /** @return every transition it went through since it started, as {@code FROM->TO members [..]} */
  List<String> transitions();
}
