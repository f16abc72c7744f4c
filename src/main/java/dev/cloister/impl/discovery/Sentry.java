package dev.cloister.impl.discovery;

import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The parsed {@code sentry} option: a static list of seeds or one DNS name.
 */
public final class Sentry {

  private final List<HostAndPort> seeds;
  private final String dnsName;
  private final int defaultPort;

  private Sentry(List<HostAndPort> seeds, String dnsName, int defaultPort) {
    this.seeds = List.copyOf(seeds);
    this.dnsName = dnsName;
    this.defaultPort = defaultPort;
  }

  /**
   * Parses the option: a list of {@code host:port} (static) or a single name without a port (DNS).
   *
   * @param value a {@code List}, a {@code JsonArray} or a {@code String}
   * @param defaultPort the port of entries that name none
   * @return the sentry
   */
  public static Sentry parse(Object value, int defaultPort) {
    List<String> items = new ArrayList<>();
    if (value instanceof String s) {
      for (String p : s.split("[,\\s]+")) {
        if (!p.isEmpty()) {
          items.add(p);
        }
      }
    } else if (value instanceof Iterable<?> it) {
      for (Object o : (value instanceof JsonArray a ? a : it)) {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException("sentry entries must be strings, got " + o);
        }
        items.add(s.trim());
      }
    } else if (value != null) {
      throw new IllegalArgumentException("sentry must be a list or a string, got " + value);
    }
    if (items.size() == 1 && items.get(0).indexOf(':') < 0) {
      String name = items.get(0);
      if (!name.matches("[A-Za-z0-9_.\\-]+")) {
        throw new IllegalArgumentException("sentry '" + name + "' is not a DNS name");
      }
      return new Sentry(List.of(), name, defaultPort);
    }
    List<HostAndPort> seeds = new ArrayList<>();
    for (String item : items) {
      try {
        seeds.add(HostAndPort.parse(item, defaultPort));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("sentry entry " + e.getMessage());
      }
    }
    return new Sentry(seeds, null, defaultPort);
  }

  /** @return whether this is a static list (possibly empty) */
  public boolean isStatic() {
    return dnsName == null;
  }

  /** @return whether this is a DNS name */
  public boolean isDns() {
    return dnsName != null;
  }

  /** @return the static seeds */
  public List<HostAndPort> staticSeeds() {
    return seeds;
  }

  /** @return the DNS name, or {@code null} */
  public String dnsName() {
    return dnsName;
  }

  /** @return the port of entries and A records that name none */
  public int defaultPort() {
    return defaultPort;
  }
}
