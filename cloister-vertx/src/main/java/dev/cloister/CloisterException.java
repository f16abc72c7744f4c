package dev.cloister;

import io.vertx.core.VertxException;

/**
 * A Cloister failure with an HTTP-like code, the same code that event-bus failure replies carry.
 *
 * <p>Codes: {@link #BAD_REQUEST} (malformed input), {@link #NOT_FOUND} (unknown group, node or
 * function), {@link #NO_QUORUM} (below consensus, or not ready), {@link #CONFLICT} (a node name
 * already taken), {@link #TIMEOUT} (consensus not reached in time).
 */
public class CloisterException extends VertxException {

  /** Malformed input. */
  public static final int BAD_REQUEST = 400;
  /** Unknown group, node or function. */
  public static final int NOT_FOUND = 404;
  /** A node name that a live member already holds. */
  public static final int CONFLICT = 409;
  /** Below consensus (under the {@code protect} policy), or not ready yet. */
  public static final int NO_QUORUM = 503;
  /** Consensus not reached within {@code startTimeout}. */
  public static final int TIMEOUT = 504;

  /** The failure code: one of the constants above. */
  private final int code;

  /**
   * Creates a failure with a code and a message.
   *
   * @param code one of the codes of this class
   * @param message what went wrong, in words a user can act on
   */
  public CloisterException(int code, String message) {
    super(message, true);
    this.code = code;
  }

  /**
   * The failure code.
   *
   * @return one of the codes of this class
   */
  public int code() {
    return code;
  }
}
