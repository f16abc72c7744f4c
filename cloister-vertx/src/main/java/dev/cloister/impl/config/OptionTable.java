package dev.cloister.impl.config;

import dev.cloister.CloisterOptions;
import dev.cloister.QuorumLossPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The one place that names, parses and validates every option of {@link CloisterOptions}: its
 * JSON key, its {@code CLOISTER_*} environment variable, its type and its rule.
 */
public final class OptionTable {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
  private static final Pattern JSON_ARRAY_START = Pattern.compile("\\[\\s*[\"\\]]");

  private OptionTable() {
  }

  private enum Kind { STRING, INT, LONG, BOOLEAN, LIST, POLICY }

  /**
   * One option: how it is named, read, written and checked, and whether the cluster transport
   * uses it too (then the cluster manager and the node must agree on it).
   */
  private record Option(String name, Kind kind, Function<CloisterOptions, Object> get,
                        BiConsumer<CloisterOptions, Object> set, Rule rule, boolean transport) {
    Option(String name, Kind kind, Function<CloisterOptions, Object> get, BiConsumer<CloisterOptions, Object> set,
           Rule rule) {
      this(name, kind, get, set, rule, false);
    }

    /** @return this option, marked as used by the cluster transport too */
    Option alsoTransport() {
      return new Option(name, kind, get, set, rule, true);
    }

    String env() {
      return "CLOISTER_" + name.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }
  }

  /** A check of an option's value: returns {@code null} when fine, else what is wrong. */
  @FunctionalInterface
  private interface Rule {
    String check(Object value, CloisterOptions options);
  }

  private static final Rule ANY = (v, o) -> null;
  private static final Rule NAME_RULE = (v, o) -> v != null && NAME.matcher((String) v).matches()
    ? null : "must be letters, digits, '_', '.' or '-', starting with a letter or digit";
  private static final Rule POSITIVE_MS = (v, o) -> (Long) v > 0 ? null : "must be more than 0 ms";
  private static final Rule OPTIONAL_NAME = (v, o) -> v == null ? null : NAME_RULE.check(v, o);

  private static final List<Option> OPTIONS = List.of(
    new Option("app", Kind.STRING, CloisterOptions::getApp, (o, v) -> o.setApp((String) v), NAME_RULE).alsoTransport(),
    // clusterPort comes before sentry: the sentry's rule uses it as the default port.
    new Option("clusterHost", Kind.STRING, CloisterOptions::getClusterHost, (o, v) -> o.setClusterHost((String) v),
      (v, o) -> v == null || !((String) v).isBlank() ? null : "must not be blank").alsoTransport(),
    new Option("clusterPort", Kind.INT, CloisterOptions::getClusterPort, (o, v) -> o.setClusterPort((Integer) v),
      (v, o) -> (Integer) v >= 0 && (Integer) v <= 65535 ? null : "must be 0 (automatic) to 65535").alsoTransport(),
    new Option("sentry", Kind.LIST, CloisterOptions::getSentry, (o, v) -> o.setSentry(strings(v)), (v, o) -> {
      Sentry.parse(v, NodeConfig.defaultPort(o));
      return null;
    }).alsoTransport(),
    new Option("consensus", Kind.INT, CloisterOptions::getConsensus, (o, v) -> o.setConsensus((Integer) v),
      (v, o) -> (Integer) v >= 1 ? null : "must be at least 1"),
    new Option("group", Kind.STRING, CloisterOptions::getGroup, (o, v) -> o.setGroup((String) v), OPTIONAL_NAME),
    new Option("nodeName", Kind.STRING, CloisterOptions::getNodeName, (o, v) -> o.setNodeName((String) v),
      (v, o) -> v == null || (!((String) v).isBlank() && ((String) v).length() <= 255) ? null : "must be 1 to 255 characters"),
    new Option("listener", Kind.STRING, CloisterOptions::getListener, (o, v) -> o.setListener((String) v), ANY),
    new Option("startTimeout", Kind.LONG, CloisterOptions::getStartTimeout, (o, v) -> o.setStartTimeout((Long) v),
      (v, o) -> (Long) v >= 0 ? null : "must be 0 (wait forever) or more ms"),
    new Option("discoveryInterval", Kind.LONG, CloisterOptions::getDiscoveryInterval,
      (o, v) -> o.setDiscoveryInterval((Long) v), (v, o) -> (Long) v > 0 ? null : "must be more than 0 ms")
      .alsoTransport(),
    new Option("dnsServers", Kind.LIST, CloisterOptions::getDnsServers, (o, v) -> o.setDnsServers(strings(v)), (v, o) -> {
      NodeConfig.dnsServers(strings(v));
      return null;
    }).alsoTransport(),
    new Option("vnodes", Kind.INT, CloisterOptions::getVnodes, (o, v) -> o.setVnodes((Integer) v),
      (v, o) -> (Integer) v >= 0 && (Integer) v <= 65536 ? null : "must be 0 (default) to 65536"),
    new Option("quorumLossPolicy", Kind.POLICY, CloisterOptions::getQuorumLossPolicy,
      (o, v) -> o.setQuorumLossPolicy((QuorumLossPolicy) v), (v, o) -> v != null ? null : "must be keep or protect"),
    new Option("addressPrefix", Kind.STRING, CloisterOptions::getAddressPrefix, (o, v) -> o.setAddressPrefix((String) v),
      NAME_RULE).alsoTransport(),
    new Option("loopback", Kind.BOOLEAN, CloisterOptions::isLoopback, (o, v) -> o.setLoopback((Boolean) v), ANY)
      .alsoTransport(),
    new Option("clusterSecret", Kind.STRING, CloisterOptions::getClusterSecret,
      (o, v) -> o.setClusterSecret((String) v),
      (v, o) -> v == null || ((String) v).length() >= 16 ? null : "must be at least 16 characters").alsoTransport(),
    // The transport leaves Infinispan's own hook out when Cloister's runs, so both must agree.
    new Option("shutdownHook", Kind.BOOLEAN, CloisterOptions::isShutdownHook,
      (o, v) -> o.setShutdownHook((Boolean) v), ANY).alsoTransport(),
    // Failure detection: the transport's timings, also read by the node (its failure-detection bound).
    new Option("suspectTimeout", Kind.LONG, CloisterOptions::getSuspectTimeout,
      (o, v) -> o.setSuspectTimeout((Long) v), POSITIVE_MS).alsoTransport(),
    new Option("heartbeatInterval", Kind.LONG, CloisterOptions::getHeartbeatInterval,
      (o, v) -> o.setHeartbeatInterval((Long) v), (v, o) -> (Long) v <= 0 ? "must be more than 0 ms"
      : (Long) v >= o.getSuspectTimeout() ? "must be below suspectTimeout (" + o.getSuspectTimeout()
      + " ms): a node must be heard from before it is suspected" : null).alsoTransport(),
    new Option("verifySuspectTimeout", Kind.LONG, CloisterOptions::getVerifySuspectTimeout,
      (o, v) -> o.setVerifySuspectTimeout((Long) v), POSITIVE_MS).alsoTransport(),
    new Option("joinTimeout", Kind.LONG, CloisterOptions::getJoinTimeout,
      (o, v) -> o.setJoinTimeout((Long) v), POSITIVE_MS).alsoTransport(),
    // Last: its rule names the options that a stack of the user's own replaces.
    new Option("jgroupsConfig", Kind.STRING, CloisterOptions::getJgroupsConfig,
      (o, v) -> o.setJgroupsConfig((String) v), (v, o) -> v == null ? null : UserStack.check((String) v, o))
      .alsoTransport()
  );

  /**
   * Sets options from JSON; unknown keys and wrongly typed values fail.
   *
   * @param options the options to set
   * @param json the JSON config
   */
  public static void fromJson(CloisterOptions options, JsonObject json) {
    for (String key : json.fieldNames()) {
      Option option = OPTIONS.stream().filter(o -> o.name.equals(key)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("Unknown Cloister option '" + key + "'; known options: "
          + OPTIONS.stream().map(Option::name).toList()));
      option.set.accept(options, fromJsonValue(option, json.getValue(key)));
    }
  }

  /**
   * Sets options from the {@code CLOISTER_*} variables present in {@code env}.
   *
   * @param options the options to set
   * @param env the environment
   */
  public static void fromEnvironment(CloisterOptions options, Map<String, String> env) {
    for (Option option : OPTIONS) {
      String raw = env.get(option.env());
      if (raw != null) {
        try {
          option.set.accept(options, fromString(option, raw.trim()));
        } catch (IllegalArgumentException e) {
          String shown = option.name.equals("clusterSecret") ? "(hidden)" : "'" + raw + "'";
          throw new IllegalArgumentException("Invalid Cloister option " + option.name + " (from " + option.env()
            + ") = " + shown + ": " + e.getMessage(), e);
        }
      }
    }
  }

  /**
   * Checks every option.
   *
   * @param options the options to check
   * @throws IllegalArgumentException naming the first invalid option and its value
   */
  public static void validate(CloisterOptions options) {
    for (Option option : OPTIONS) {
      Object value = option.get.apply(options);
      String problem;
      try {
        problem = option.rule.check(value, options);
      } catch (RuntimeException e) {
        problem = e.getMessage();
      }
      if (problem != null) {
        String shown = option.name.equals("clusterSecret") ? "(hidden)" : render(value);
        throw new IllegalArgumentException("Invalid Cloister option " + option.name + " = " + shown + ": " + problem);
      }
    }
  }

  /**
   * Checks that a node's options agree with those of the cluster transport it runs on, on every
   * option both use.
   *
   * @param node the node's options
   * @param transport the transport's options, as JSON
   * @throws IllegalArgumentException naming the first option they differ on, and both values
   */
  public static void checkAgreement(CloisterOptions node, JsonObject transport) {
    CloisterOptions t = new CloisterOptions(transport);
    for (Option option : OPTIONS) {
      if (!option.transport) {
        continue;
      }
      Object mine = option.get.apply(node);
      Object theirs = option.get.apply(t);
      if (!java.util.Objects.equals(mine, theirs)) {
        boolean hidden = option.name.equals("clusterSecret");
        throw new IllegalArgumentException("Conflicting Cloister option " + option.name
          + ": the cluster manager runs with " + (hidden ? "(hidden)" : render(theirs))
          + ", the node was given " + (hidden ? "(hidden, different)" : render(mine))
          + "; give it in one place (a node given no options takes the cluster manager's)");
      }
    }
  }

  /**
   * The JSON form of options, every option present.
   *
   * @param options the options
   * @return a new JSON object
   */
  public static JsonObject toJson(CloisterOptions options) {
    JsonObject json = new JsonObject();
    for (Option option : OPTIONS) {
      Object value = option.get.apply(options);
      if (value instanceof List<?> list) {
        value = new JsonArray(new ArrayList<>(list));
      } else if (value instanceof QuorumLossPolicy p) {
        value = p.name().toLowerCase(Locale.ROOT);
      }
      json.put(option.name, value);
    }
    return json;
  }

  /**
   * The environment variable that overrides an option.
   *
   * @param option the option's name, e.g. {@code clusterHost}
   * @return e.g. {@code CLOISTER_CLUSTER_HOST}
   */
  public static String environmentVariable(String option) {
    return OPTIONS.stream().filter(o -> o.name.equals(option)).findFirst()
      .orElseThrow(() -> new IllegalArgumentException("Unknown Cloister option '" + option + "'")).env();
  }

  /** @return the names of all options, in table order */
  public static List<String> names() {
    return OPTIONS.stream().map(Option::name).toList();
  }

  private static Object fromJsonValue(Option option, Object value) {
    if (value == null) {
      return switch (option.kind) {
        case STRING -> null;
        case LIST -> new ArrayList<String>();
        default -> throw wrongType(option, null);
      };
    }
    try {
      return switch (option.kind) {
        case STRING -> (String) value;
        case INT -> value instanceof String s ? Integer.parseInt(s.trim()) : exactInt(((Number) value));
        case LONG -> value instanceof String s ? Long.parseLong(s.trim()) : exactLong(((Number) value));
        case BOOLEAN -> value instanceof String s ? parseBoolean(s) : (Boolean) value;
        case LIST -> value instanceof String s ? splitList(s) : strings(value);
        case POLICY -> parsePolicy((String) value);
      };
    } catch (ClassCastException | IllegalArgumentException e) {
      throw wrongType(option, value);
    }
  }

  private static Object fromString(Option option, String raw) {
    return switch (option.kind) {
      case STRING -> raw.isEmpty() ? null : raw;
      case INT -> parse(() -> Integer.parseInt(raw), "not an integer");
      case LONG -> parse(() -> Long.parseLong(raw), "not an integer");
      case BOOLEAN -> parseBoolean(raw);
      case LIST -> splitList(raw);
      case POLICY -> parsePolicy(raw);
    };
  }

  private static <T> T parse(java.util.function.Supplier<T> parser, String problem) {
    try {
      return parser.get();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(problem);
    }
  }

  private static IllegalArgumentException wrongType(Option option, Object value) {
    String expected = switch (option.kind) {
      case STRING -> "a string";
      case INT, LONG -> "an integer";
      case BOOLEAN -> "true or false";
      case LIST -> "a list of strings or one string";
      case POLICY -> "keep or protect";
    };
    return new IllegalArgumentException("Invalid Cloister option " + option.name + " = " + render(value)
      + ": must be " + expected);
  }

  private static int exactInt(Number n) {
    long l = exactLong(n);
    if (l != (int) l) {
      throw new IllegalArgumentException("out of range");
    }
    return (int) l;
  }

  private static long exactLong(Number n) {
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      if (d != Math.rint(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("not an integer");
      }
    }
    return n.longValue();
  }

  private static boolean parseBoolean(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("must be true or false");
    };
  }

  private static QuorumLossPolicy parsePolicy(String s) {
    try {
      return QuorumLossPolicy.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be keep or protect");
    }
  }

  /**
   * A list option written as one string: a JSON array of strings ({@code ["n1:7800","n2:7800"]}),
   * or items separated by commas or white space. A bracketed IPv6 address ({@code [::1]:7800}) is
   * not JSON: only {@code [} followed by a quote or {@code ]} starts an array.
   */
  private static List<String> splitList(String s) {
    String text = s.trim();
    if (JSON_ARRAY_START.matcher(text).lookingAt()) {
      JsonArray array;
      try {
        array = new JsonArray(text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a valid JSON array of strings");
      }
      return strings(array);
    }
    List<String> out = new ArrayList<>();
    for (String part : s.split("[,\\s]+")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
    return out;
  }

  private static List<String> strings(Object value) {
    Iterable<?> items = value instanceof JsonArray a ? a : (List<?>) value;
    List<String> out = new ArrayList<>();
    for (Object item : items) {
      if (!(item instanceof String s)) {
        throw new IllegalArgumentException("must be strings, got " + render(item));
      }
      out.add(s);
    }
    return out;
  }

  private static String render(Object value) {
    if (value instanceof String s) {
      return "'" + s + "'";
    }
    if (value instanceof Object[] arr) {
      return Arrays.toString(arr);
    }
    return String.valueOf(value);
  }
}
