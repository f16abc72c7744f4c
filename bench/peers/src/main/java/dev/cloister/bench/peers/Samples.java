package dev.cloister.bench.peers;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What a driver measured: each system's samples per measure, and its failures; and their tables. */
final class Samples {

  private final String[] measures;
  private final Map<Peer, List<List<Double>>> values = new EnumMap<>(Peer.class);
  private final Map<Peer, List<String>> failures = new EnumMap<>(Peer.class);

  /**
   * @param peers the systems measured
   * @param measures the column heads after "system", one per measure
   */
  Samples(List<Peer> peers, String[] measures) {
    this.measures = measures;
    for (Peer p : peers) {
      List<List<Double>> m = new ArrayList<>();
      for (int i = 0; i < measures.length; i++) {
        m.add(new ArrayList<>());
      }
      values.put(p, m);
      failures.put(p, new ArrayList<>());
    }
  }

  /**
   * @param p the system
   * @param measure the measure's index among the column heads
   * @param value one sample
   */
  void add(Peer p, int measure, double value) {
    values.get(p).get(measure).add(value);
  }

  /**
   * @param p the system
   * @param what what failed, for the footer
   */
  void failed(Peer p, String what) {
    failures.get(p).add(what);
  }

  /**
   * Prints the table of medians.
   *
   * @param peers the rows, in order
   * @param base the system the others are compared to
   */
  void printTable(List<Peer> peers, Peer base) {
    Tables.measures(measures, peers, values, base);
  }

  /**
   * Prints the failures, then the settings.
   *
   * @param peers the rows, in order
   * @param observed the head of the settings column telling what each system's nodes report
   */
  void printFooter(List<Peer> peers, String observed) {
    Tables.failuresAndSettings(peers, failures, observed);
  }
}
