package dev.cloister.impl.workers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which members of the group run a worker set: the members of the group's ring that announced the
 * set under their current cluster node id. A pure function; the set's ring is built from its answer
 * (and is the group's ring itself when every member takes part).
 */
final class Participation {

  private Participation() {
  }

  /**
   * The members that take part, in the ring's order.
   *
   * @param ringMembers the group ring's members
   * @param announced node name to node id, as the set's nodes announced themselves
   * @param live node name to node id of the live members
   * @return the members whose announcement matches their live node id
   */
  static List<String> members(List<String> ringMembers, Map<String, String> announced, Map<String, String> live) {
    List<String> out = new ArrayList<>(ringMembers.size());
    for (String m : ringMembers) {
      String id = announced.get(m);
      // An announcement left by a crashed predecessor under the same name does not count.
      if (id != null && id.equals(live.get(m))) {
        out.add(m);
      }
    }
    return out;
  }
}
