package dev.cloister;

import io.vertx.codegen.annotations.VertxGen;

/**
 * What ownership questions get while the cluster is below consensus.
 */
@VertxGen
public enum QuorumLossPolicy {
  /** Answer from the smaller ring, as Cloister does. */
  KEEP,
  /** Fail ownership questions with {@link CloisterException#NO_QUORUM} until quorum returns. */
  PROTECT
}
