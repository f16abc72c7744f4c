package dev.cloister;

/**
 * Called on every transition of a node's state machine, in order, on the node's own context.
 *
 * <p>A listener that throws is logged and skipped: it never breaks the state machine.
 */
@FunctionalInterface
public interface CloisterListener {

  /**
   * Tells that this node went from {@code from} to {@code to}; {@code state} is the state after it.
   *
   * @param from the status before the transition
   * @param to the status after the transition
   * @param state a snapshot of the node's state after the transition
   */
  void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state);
}
