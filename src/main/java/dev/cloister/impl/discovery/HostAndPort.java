package dev.cloister.impl.discovery;

/**
 * A host and a port, as written in a static sentry list.
 *
 * @param host a host name or address
 * @param port 1 to 65535
 */
public record HostAndPort(String host, int port) {

  /**
   * Parses {@code host:port}, {@code [v6]:port} or a bare host.
   *
   * @param s the text
   * @param defaultPort the port when none is written
   * @return the parsed value
   */
  public static HostAndPort parse(String s, int defaultPort) {
    String t = s == null ? "" : s.trim();
    String host = t;
    int port = defaultPort;
    int colon = t.lastIndexOf(':');
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("'" + s + "' is not host:port");
      }
      host = t.substring(1, close);
      if (close + 1 < t.length()) {
        port = port(t.substring(close + 2), s);
      }
    } else if (colon >= 0 && t.indexOf(':') == colon) {
      host = t.substring(0, colon);
      port = port(t.substring(colon + 1), s);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("'" + s + "' has no host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("'" + s + "' has a port outside 1..65535");
    }
    return new HostAndPort(host, port);
  }

  private static int port(String p, String s) {
    try {
      return Integer.parseInt(p);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' has no valid port");
    }
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
