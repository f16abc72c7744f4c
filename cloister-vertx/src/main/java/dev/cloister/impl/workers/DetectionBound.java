package dev.cloister.impl.workers;


/**
 * The fence the workers wait after a node stopped answering: at least the failure-detection bound
 * of the stack the node runs on (read from its JGroups channel, so it follows the failure-detection
 * options and a user's own stack), by default that bound plus a margin.
 */
final class DetectionBound {

  /** Added to the bound for the default fence: the membership read and ring build after a view change. */
  static final long MARGIN = 500;

  private DetectionBound() {
  }

  /**
   * The fence a set runs with.
   *
   * @param option the option's value, -1 for the default
   * @param bound ms from a node's silence to its exclusion from the view, on this node's stack
   * @return the fence, ms
   * @throws IllegalArgumentException naming the option when below the bound
   */
  static long fence(long option, long bound) {
    if (option < 0) {
      return bound + MARGIN;
    }
    if (option < bound) {
      throw new IllegalArgumentException("Invalid workers option fence = " + option + ": below the failure-detection "
        + "bound of this node's stack (" + bound + " ms), so a survivor could start a key while its cut-off "
        + "owner still runs it");
    }
    return option;
  }
}
