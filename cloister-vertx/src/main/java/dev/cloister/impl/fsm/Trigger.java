package dev.cloister.impl.fsm;

/**
 * What makes a Cloister node change state (the labels on the diagram's arrows).
 */
public enum Trigger {
  /** The node starts (Cloister's {@code quorum!}). */
  START("start"),
  /** The node joined the cluster and holds its name (Cloister's {@code assembled}). */
  ASSEMBLED("assembled"),
  /** Vert.x is not clustered: a ring of one (Cloister's {@code nonode}). */
  NONODE("nonode"),
  /** The live membership changed (Cloister's {@code rehash}). */
  REHASH("rehash"),
  /** Rings are installed for a membership of at least {@code consensus} members. */
  QUORUM("quorum"),
  /** The node leaves (Cloister's {@code stop!}). */
  STOP("stop"),
  /** The member record is gone and the node is out. */
  STOPPED("stopped");

  private final String label;

  Trigger(String label) {
    this.label = label;
  }

  /** @return the label on the diagram */
  public String label() {
    return label;
  }
}
