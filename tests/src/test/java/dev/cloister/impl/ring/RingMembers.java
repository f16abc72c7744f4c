package dev.cloister.impl.ring;

import java.util.ArrayList;
import java.util.List;

/** Member names shaped like real ones (name and address), for the ring tests. */
final class RingMembers {

  private RingMembers() {
  }

  /**
   * @param n how many
   * @return {@code cloister-node-i@10.0.0.(i % 250)} for i from 0 to n - 1
   */
  static List<String> named(int n) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add("cloister-node-" + i + "@10.0.0." + (i % 250));
    }
    return members;
  }
}
