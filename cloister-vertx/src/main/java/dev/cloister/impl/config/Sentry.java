package dev.cloister.impl.config;

import io.netty.util.NetUtil;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The parsed {@code sentry} option: how this node finds the others.
 *
 * <p>Three forms, told apart by their syntax alone so that the same text always means the same:
 * <ul>
 *   <li><b>static</b>: a list of {@code host:port} seeds, given as a {@link List} or
 *       {@link JsonArray} of strings, or as one string that contains {@code ':'} or {@code ','}
 *       (comma-separated), or a JSON array in a string ({@code ["a:7800","b:7800"]}, handy in
 *       environment variables), or a single IP literal. A seed without a port takes the default
 *       port; IPv6 literals are written {@code [::1]:7800}. An empty list (or {@code null},
 *       {@code ""}, {@code "[]"}) means this node is alone.</li>
 *   <li><b>DNS</b>: one host name as a string, resolved to its A and AAAA records, each address
 *       taking the default port.</li>
 *   <li><b>SRV</b>: one name written {@code _service._proto.name} (it starts with {@code _} and
 *       contains {@code ._tcp.} or {@code ._udp.}), resolved to its SRV records whose targets are
 *       then resolved to addresses, each taking the port of its record.</li>
 * </ul>
 * Instances are immutable.
 */
public final class Sentry {

  /** The option name used in error messages, so users know which setting to fix. */
  static final String OPTION = "sentry";

  private final List<HostAndPort> staticSeeds;
  private final String dnsName;
  private final boolean srv;
  private final int defaultPort;

  private Sentry(List<HostAndPort> staticSeeds, String dnsName, boolean srv, int defaultPort) {
    this.staticSeeds = staticSeeds;
    this.dnsName = dnsName;
    this.srv = srv;
    this.defaultPort = defaultPort;
  }

  /**
   * Parses the value of the {@code sentry} option.
   *
   * @param value a {@link String}, {@link List} of strings, {@link JsonArray} of strings, or null
   * @param defaultPort the cluster port used by seeds and DNS answers that carry no port
   * @return the parsed sentry
   * @throws IllegalArgumentException naming the option {@code sentry} and the bad value
   */
  public static Sentry parse(Object value, int defaultPort) {
    if (defaultPort < 1 || defaultPort > 65535) {
      throw new IllegalArgumentException(
          "Invalid default port " + defaultPort + " for option " + OPTION + ": out of range 1..65535");
    }
    if (value == null) {
      return staticList(List.of(), defaultPort);
    }
    if (value instanceof JsonArray array) {
      return parse(array.getList(), defaultPort);
    }
    if (value instanceof List<?> list) {
      // The options keep the sentry as a list: a list of one entry means what that entry means
      // written alone, so ["cloister.local"] is a DNS name, as "cloister.local" is.
      if (list.size() == 1 && list.get(0) instanceof String only && !only.isBlank()) {
        return parseString(only, defaultPort);
      }
      return parseList(list, value, defaultPort);
    }
    if (value instanceof String string) {
      return parseString(string, defaultPort);
    }
    throw invalid(value, "expected a host:port list or a DNS name, not a "
        + value.getClass().getSimpleName());
  }

  private static Sentry parseString(String string, int defaultPort) {
    String text = string.trim();
    if (text.isEmpty() || text.equals("[]")) {
      return staticList(List.of(), defaultPort);
    }
    if (text.startsWith("[") && text.contains("\"")) {
      JsonArray array;
      try {
        array = new JsonArray(text);
      } catch (DecodeException e) {
        throw invalid(string, "not a valid JSON array");
      }
      return parseList(array.getList(), string, defaultPort);
    }
    if (text.indexOf(':') >= 0 || text.indexOf(',') >= 0 || NetUtil.isValidIpV4Address(text)) {
      List<String> parts = new ArrayList<>();
      for (String part : text.split(",", -1)) {
        parts.add(part);
      }
      return parseList(parts, string, defaultPort);
    }
    if (!HostAndPort.isHostName(text)) {
      throw invalid(string, "not a valid DNS name");
    }
    String name = HostAndPort.normalizeName(text);
    return new Sentry(List.of(), name, isSrvName(name), defaultPort);
  }

  private static Sentry parseList(List<?> list, Object whole, int defaultPort) {
    Set<HostAndPort> seeds = new LinkedHashSet<>();
    for (Object element : list) {
      if (!(element instanceof String entry)) {
        throw invalid(whole, "entry " + element + " is not a host:port string");
      }
      if (entry.isBlank()) {
        throw invalid(whole, "empty entry");
      }
      try {
        seeds.add(HostAndPort.parse(entry, defaultPort));
      } catch (IllegalArgumentException e) {
        throw invalid(whole, e.getMessage());
      }
    }
    return staticList(new ArrayList<>(seeds), defaultPort);
  }

  private static Sentry staticList(List<HostAndPort> seeds, int defaultPort) {
    return new Sentry(Collections.unmodifiableList(seeds), null, false, defaultPort);
  }

  private static boolean isSrvName(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.startsWith("_") && (lower.contains("._tcp.") || lower.contains("._udp."));
  }

  private static IllegalArgumentException invalid(Object value, String why) {
    return new IllegalArgumentException(
        "Invalid value for option " + OPTION + ": '" + value + "' (" + why + ")");
  }

  /**
   * Whether the sentry is a static list of seeds (possibly empty).
   *
   * @return true for a static list
   */
  public boolean isStatic() {
    return dnsName == null;
  }

  /**
   * Whether the sentry is a DNS name to resolve, by A/AAAA or SRV records.
   *
   * @return true for a DNS name
   */
  public boolean isDns() {
    return dnsName != null;
  }

  /**
   * Whether the sentry is a DNS name to resolve by SRV records ({@code _service._proto.name}).
   *
   * @return true for an SRV name
   */
  public boolean isSrv() {
    return srv;
  }

  /**
   * The seeds of a static sentry, in the given order without duplicates.
   *
   * @return the seeds; empty for a DNS sentry or a node alone
   */
  public List<HostAndPort> staticSeeds() {
    return staticSeeds;
  }

  /**
   * The DNS name of a DNS sentry, lower-case and without a final dot.
   *
   * @return the name, or null for a static sentry
   */
  public String dnsName() {
    return dnsName;
  }

  /**
   * The cluster port given to seeds and A/AAAA answers that carry no port.
   *
   * @return the default port
   */
  public int defaultPort() {
    return defaultPort;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sentry other
        && srv == other.srv
        && defaultPort == other.defaultPort
        && staticSeeds.equals(other.staticSeeds)
        && Objects.equals(dnsName, other.dnsName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(staticSeeds, dnsName, srv, defaultPort);
  }

  /**
   * Describes the sentry for logs: {@code static [a:7800, b:7800]}, {@code dns name:7800} or
   * {@code srv _svc._tcp.name}.
   */
  @Override
  public String toString() {
    if (isStatic()) {
      return "static " + staticSeeds;
    }
    return srv ? "srv " + dnsName : "dns " + dnsName + ":" + defaultPort;
  }
}
