package dev.cloister.bench.peers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the driver tells a node JVM on its command line: its index among the three nodes, every
 * node's port, and whether to run the tuned settings of its system.
 *
 * <p>Settings are templates, printed as they are in the benchmark's configuration table and
 * expanded here: {@code {port}} is the node's own port, {@code {index}} its index, and
 * {@code {seeds:F}} is {@code F} formatted with each node's port ({@code %d}), comma-separated.
 *
 * @param index this node's index, 0 to 2
 * @param ports every node's port, in index order
 * @param tuned whether the system's tuned settings apply over its defaults
 */
record NodeArgs(int index, List<Integer> ports, boolean tuned) {

  private static final Pattern SEEDS = Pattern.compile("\\{seeds:([^}]*)}");

  /**
   * Parses {@code INDEX PORT,PORT,PORT default|tuned}.
   *
   * @param args the node's command line
   * @return the arguments
   */
  static NodeArgs parse(String[] args) {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: INDEX PORT,PORT,PORT default|tuned, got " + List.of(args));
    }
    List<Integer> ports = new ArrayList<>();
    for (String p : args[1].split(",")) {
      ports.add(Integer.parseInt(p));
    }
    if (!args[2].equals("default") && !args[2].equals("tuned")) {
      throw new IllegalArgumentException("variant must be default or tuned, got " + args[2]);
    }
    return new NodeArgs(Integer.parseInt(args[0]), ports, args[2].equals("tuned"));
  }

  /** @return the command-line form that {@link #parse} reads */
  List<String> toArgs() {
    List<String> ports = new ArrayList<>();
    this.ports.forEach(p -> ports.add(String.valueOf(p)));
    return List.of(String.valueOf(index), String.join(",", ports), tuned ? "tuned" : "default");
  }

  /** @return this node's port */
  int port() {
    return ports.get(index);
  }

  /**
   * @param template a setting's value as declared
   * @return the value for this node
   */
  String expand(String template) {
    Matcher m = SEEDS.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      List<String> each = new ArrayList<>();
      for (int p : ports) {
        each.add(String.format(m.group(1), p));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(String.join(",", each)));
    }
    m.appendTail(out);
    return out.toString().replace("{port}", String.valueOf(port())).replace("{index}", String.valueOf(index));
  }

  /**
   * @param settings declared settings, templates as values
   * @return the same keys with this node's values, in order
   */
  Map<String, String> expand(Map<String, String> settings) {
    Map<String, String> out = new LinkedHashMap<>();
    settings.forEach((k, v) -> out.put(k, expand(v)));
    return out;
  }
}
