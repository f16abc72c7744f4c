package dev.cloister.impl.discovery;

/**
 * A DNS sentry could not be resolved this time (timeout, SERVFAIL or another server error, a
 * malformed answer): the caller keeps what it knew, logs the message and tries again later.
 *
 * <p>The message names the DNS name, the record type and the server(s) asked.
 */
public final class DnsSentryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the DNS name and the server
   * @param cause the underlying failure, or null
   */
  public DnsSentryException(String message, Throwable cause) {
    super(message, cause);
  }
}
