package dev.cloister;

import io.vertx.codegen.annotations.VertxGen;

/**
 * The states of a Cloister node, as in Cloister's state machine.
 *
 * <p>The allowed transitions are listed once, in the transition table that README's diagram is
 * checked against.
 */
@VertxGen
public enum CloisterStatus {
  /** Created, not started. */
  DOWN,
  /** Started, joining the cluster and claiming its node name. */
  ASSEMBLING,
  /** Membership changed or not yet quorate: rings are being rebuilt or quorum is awaited. */
  REHASHING,
  /** At least {@code consensus} members are live and the rings for them are installed. */
  READY,
  /** Vert.x is not clustered: this node is a ring of one (consensus 1 only). */
  NONODE,
  /** Leaving: the member record is removed so that the others rehash at once. */
  STOPPING,
  /** Left; a stopped Cloister cannot be started again. */
  STOPPED
}
