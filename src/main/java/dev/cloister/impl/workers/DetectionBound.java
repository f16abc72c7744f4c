package dev.cloister.impl.workers;

import dev.cloister.impl.transport.JGroupsStack;

/**
 * How long Cloister's stack may take to exclude a node that stopped answering, and the fence the
 * workers wait by default after it. Read from the stack's failure-detection settings here only.
 */
final class DetectionBound {

  /** Added to the bound for the default fence: the membership read and ring build after a view change. */
  static final long MARGIN = 500;

  private DetectionBound() {
  }

  /** @return ms from a node's silence to its exclusion from the view: heartbeat timeout plus the suspect check */
  static long bound() {
    return JGroupsStack.HEARTBEAT_TIMEOUT + JGroupsStack.VERIFY_SUSPECT_TIMEOUT;
  }

  /**
   * The fence a set runs with.
   *
   * @param option the option's value, -1 for the default
   * @return the fence, ms
   * @throws IllegalArgumentException naming the option when below the bound
   */
  static long fence(long option) {
    if (option < 0) {
      return bound() + MARGIN;
    }
    if (option < bound()) {
      throw new IllegalArgumentException("Invalid workers option fence = " + option + ": below the failure-detection "
        + "bound of Cloister's stack (" + bound() + " ms), so a survivor could start a key while its cut-off "
        + "owner still runs it");
    }
    return option;
  }
}
