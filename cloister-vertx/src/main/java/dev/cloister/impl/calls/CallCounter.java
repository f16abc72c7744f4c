package dev.cloister.impl.calls;

/**
 * Told the outcome of every sibling call, per node reached, so that metrics can count them
 * without the calls knowing of any metrics library.
 */
@FunctionalInterface
public interface CallCounter {

  /** A counter that counts nothing. */
  CallCounter NONE = (op, result) -> { };

  /** The node answered, or the message was handed to the event bus (multicast). */
  String OK = "ok";
  /** The node did not answer in time. */
  String TIMEOUT = "timeout";
  /** The node is not a live member or does not serve calls. */
  String UNREACHABLE = "unreachable";
  /** The node answered with a failure, or the event bus failed. */
  String FAILED = "failed";
  /** The call was refused before anything was sent: bad input, or this node does not serve calls. */
  String REJECTED = "rejected";

  /**
   * Counts one outcome.
   *
   * @param op {@code multicall}, {@code multicast} or {@code multiapply}
   * @param result one of {@link #OK}, {@link #TIMEOUT}, {@link #UNREACHABLE}, {@link #FAILED}, {@link #REJECTED}
   */
  void count(String op, String result);
}
