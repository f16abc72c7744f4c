package dev.cloister.impl.workers;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who may run the keys of a segment of a cell (see {@link CellLease}): the holder's cluster node
 * id, the holder's token, and whether the holder is handing the segment's keys off. Stored as
 * compact text, {@code h:<token>:<node id>} (held) or {@code m:<token>:<node id>} (handing off). A
 * node starts a key only while it holds the segment covering it with its current token.
 *
 * @param nodeId the holder's cluster node id
 * @param token the holder's token: a new one each time the holder became quorate
 * @param moving whether the holder is handing the segment's keys off
 */
record Lease(String nodeId, String token, boolean moving) {

  /** Longest stored value read as a lease; anything longer is none. */
  private static final int MAX_LENGTH = 4096;
  /** This JVM's token prefix: random, so that a restarted node never repeats a token it used before. */
  private static final String PREFIX = Long.toString(new SecureRandom().nextLong() >>> 16, 36);
  private static final AtomicLong TOKENS = new AtomicLong();

  /** @return a token no other call, in this JVM or any other, returns */
  static String freshToken() {
    return PREFIX + "." + Long.toString(TOKENS.incrementAndGet(), 36);
  }

  /** @return the stored form */
  String encode() {
    return (moving ? "m:" : "h:") + token + ":" + nodeId;
  }

  /** @return the same lease, marked as handing off */
  Lease handingOff() {
    return new Lease(nodeId, token, true);
  }

  /** @return the same lease, not marked */
  Lease held() {
    return new Lease(nodeId, token, false);
  }

  /**
   * Reads a stored lease.
   *
   * @param value the stored value
   * @return the lease, or {@code null} when the value is not one (treated as a lease of nobody)
   */
  static Lease decode(Object value) {
    if (!(value instanceof String s) || s.length() > MAX_LENGTH || s.length() < 5 || s.charAt(1) != ':') {
      return null;
    }
    char flag = s.charAt(0);
    int end = s.indexOf(':', 2);
    if ((flag != 'h' && flag != 'm') || end <= 2 || end == s.length() - 1) {
      return null;
    }
    return new Lease(s.substring(end + 1), s.substring(2, end), flag == 'm');
  }
}
