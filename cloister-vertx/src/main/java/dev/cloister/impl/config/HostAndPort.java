package dev.cloister.impl.config;

import io.netty.util.NetUtil;

import java.util.Locale;
import java.util.Objects;

/**
 * A host (name, IPv4 or IPv6 literal) and a port: one seed of the sentry, or one DNS server.
 *
 * <p>IPv6 literals are held without brackets and printed with them ({@code [::1]:7800}), so that
 * {@link #toString()} is always a valid input of {@link #parse(String, int)}.
 *
 * @param host the host name or address literal, never empty, without brackets
 * @param port the port, in 1..65535
 */
public record HostAndPort(String host, int port) {

  /**
   * Validates the parts.
   *
   * @throws IllegalArgumentException if the host is not a valid host name or address literal, or
   *     the port is outside 1..65535
   */
  public HostAndPort {
    Objects.requireNonNull(host, "host");
    checkHost(host, host);
    checkPort(port, host + ":" + port);
  }

  /**
   * Parses {@code host}, {@code host:port}, {@code [ipv6]}, {@code [ipv6]:port} or a bare IPv6
   * literal (which then takes the default port: write it in brackets to give a port).
   *
   * @param value the text to parse
   * @param defaultPort the port used when the text has none
   * @return the parsed value
   * @throws IllegalArgumentException naming the value when it is empty, has an invalid host or a
   *     port outside 1..65535
   */
  public static HostAndPort parse(String value, int defaultPort) {
    if (value == null) {
      throw new IllegalArgumentException("host:port must not be null");
    }
    String text = value.trim();
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty host:port '" + value + "'");
    }
    String host;
    String portText = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("missing ']' in '" + value + "'");
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException("unexpected text after ']' in '" + value + "'");
        }
        portText = rest.substring(1);
      }
      if (!NetUtil.isValidIpV6Address(host)) {
        throw new IllegalArgumentException("invalid IPv6 address in '" + value + "'");
      }
    } else {
      int first = text.indexOf(':');
      int last = text.lastIndexOf(':');
      if (first >= 0 && first != last) {
        // Several colons without brackets can only be an IPv6 literal; a port would be ambiguous.
        host = text;
      } else if (first >= 0) {
        host = text.substring(0, first);
        portText = text.substring(first + 1);
      } else {
        host = text;
      }
    }
    int port = portText == null ? defaultPort : parsePort(portText, value);
    checkHost(host, value);
    checkPort(port, value);
    return new HostAndPort(host, port);
  }

  /**
   * Whether the host is an IPv4 or IPv6 address literal rather than a name.
   *
   * @return true for an address literal
   */
  public boolean isAddress() {
    return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host);
  }

  /**
   * Prints {@code host:port}, with the host in brackets when it is an IPv6 literal.
   *
   * @return the printed form, accepted back by {@link #parse(String, int)}
   */
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  private static int parsePort(String text, String value) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("invalid port '" + text + "' in '" + value + "'");
    }
    return Integer.parseInt(text);
  }

  private static void checkPort(int port, String value) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " out of range 1..65535 in '" + value + "'");
    }
  }

  private static void checkHost(String host, String value) {
    if (host.isEmpty()) {
      throw new IllegalArgumentException("empty host in '" + value + "'");
    }
    if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
      return;
    }
    if (!isHostName(host)) {
      throw new IllegalArgumentException("invalid host '" + host + "' in '" + value + "'");
    }
  }

  /**
   * Whether the text is a DNS host name: dot-separated labels of letters, digits, '-' and '_'
   * (Docker and SRV names use underscores), 1..63 characters each, 253 in all, an optional final
   * dot, and not all-numeric (that would be a mistyped IPv4 address).
   */
  public static boolean isHostName(String name) {
    String text = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (text.isEmpty() || text.length() > 253) {
      return false;
    }
    boolean allNumeric = true;
    for (String label : text.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
        return false;
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_';
        if (!ok) {
          return false;
        }
      }
      allNumeric &= label.chars().allMatch(c -> c >= '0' && c <= '9');
    }
    return !allNumeric;
  }

  /** Lower-cases a DNS name and drops its final dot, the form names are compared in. */
  public static String normalizeName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }
}
