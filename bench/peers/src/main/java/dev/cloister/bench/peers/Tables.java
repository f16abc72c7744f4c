package dev.cloister.bench.peers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Markdown the drivers print: measure tables of medians, and the settings table. */
final class Tables {

  private Tables() {
  }

  /**
   * One table of samples.
   *
   * @param measures the column heads after "system"
   * @param peers the rows, in order
   * @param samples each system's samples, one list per measure
   * @param base the system whose medians the others are compared to
   */
  static void measures(String[] measures, List<Peer> peers, Map<Peer, List<List<Double>>> samples, Peer base) {
    StringBuilder head = new StringBuilder("| system |");
    StringBuilder rule = new StringBuilder("|---|");
    for (String m : measures) {
      head.append(' ').append(m).append(" |");
      rule.append("---:|");
    }
    System.out.println(head);
    System.out.println(rule);
    for (Peer p : peers) {
      StringBuilder row = new StringBuilder("| ").append(p.label).append(" |");
      for (int m = 0; m < measures.length; m++) {
        List<Double> baseSamples = samples.containsKey(base) ? samples.get(base).get(m) : List.of();
        row.append(' ').append(cell(samples.get(p).get(m), baseSamples)).append(" |");
      }
      System.out.println(row);
    }
  }

  /**
   * What ends each driver's output: the failures, if any, then the JVM flags and the settings table.
   *
   * @param peers the rows, in order
   * @param failures each system's failures
   * @param observed the head of the settings column telling what each system's nodes report
   */
  static void failuresAndSettings(List<Peer> peers, Map<Peer, List<String>> failures, String observed) {
    for (Peer p : peers) {
      for (String f : failures.get(p)) {
        System.out.println("FAILED " + p.label + ": " + f);
      }
    }
    System.out.printf("%nSettings. Every node: `java %s`, java.util.logging at WARNING. {port}: the node's own "
      + "free port; {index}: 0, 1, 2; {seeds:F}: F for each of the three ports, comma-separated.%n%n",
      String.join(" ", NodeJvm.JVM_FLAGS));
    settings(peers, observed);
  }

  /**
   * The settings table.
   *
   * @param peers the rows, in order
   * @param observed the head of the column telling what each system's nodes report
   */
  static void settings(List<Peer> peers, String observed) {
    System.out.println("| system | " + observed + " | graceful leave | settings |");
    System.out.println("|---|---|---|---|");
    for (Peer p : peers) {
      List<String> kv = new ArrayList<>();
      p.settings().forEach((k, v) -> kv.add("`" + k + "=" + v + "`"));
      System.out.printf("| %s | %s | %s | %s |%n", p.label, p.membership, p.leave, String.join(" ", kv));
    }
  }

  private static double median(List<Double> s) {
    List<Double> sorted = new ArrayList<>(s);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** @return "median (min–max) ×ratio to the base's median", or a dash without samples */
  private static String cell(List<Double> s, List<Double> base) {
    if (s.isEmpty()) {
      return "–";
    }
    String format = "%.0f";
    String text = String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median(s),
      Collections.min(s), Collections.max(s));
    if (!base.isEmpty() && median(base) > 0) {
      text += String.format(Locale.ROOT, " ×%.2f", median(s) / median(base));
    }
    return text;
  }
}
