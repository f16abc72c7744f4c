package dev.cloister.impl.membership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The live members whose records, on this node's replica, report another checksum than this
 * node's for longer than a rehash takes: whom to ask to write their record again.
 *
 * <p>Replicas of the members cache can disagree for good. A write issued before a pause or a cut
 * and applied after the heal can hold the key's lock on its primary owner until Infinispan's
 * remote timeout, so that the writes behind it fail; a write that lands on some replicas and not
 * others is not repaired by Infinispan. The writer's own replica then shows what it wrote, so it
 * never writes again, and a node whose replica kept the old value waits for ever on a ring that
 * is the same everywhere (seen on the real-network rig after a 3 s pause: one node "not
 * converged" for a minute while the four others were). Only the reader can tell, so it asks the
 * record's node to write it again; the rewrite reaches every replica.
 *
 * <p>A record that simply lags (its node has not rehashed yet) is asked about only if it still
 * lags after {@link #ASK_AFTER_MS}: a rehash takes milliseconds. Confined to one thread; the
 * clock is passed in.
 */
final class StaleRecords {

  /** How long a record may disagree before its node is asked to write it again, ms. */
  static final long ASK_AFTER_MS = 3_000;
  /** How often the same node is asked again while its record still disagrees, ms. */
  static final long ASK_EVERY_MS = 5_000;

  /**
   * A disagreeing record as this replica shows it.
   *
   * @param name the record's name
   * @param nodeId its node
   * @param value the stored value
   * @param sinceMs when this value was first seen disagreeing
   * @param askedMs when its node was last asked, {@link Long#MIN_VALUE} before any
   */
  record Seen(String name, String nodeId, String value, long sinceMs, long askedMs) {
  }

  private final Map<String, Seen> seen = new HashMap<>();

  /**
   * Takes in a read and the checksum this node reports, and returns the records whose nodes to ask
   * now (each then counts as asked).
   *
   * @param snap the read
   * @param self this node's record, with the checksum it reports
   * @param nowMs the current time
   * @return the records to ask about
   */
  List<Seen> update(MembersCache.Snapshot snap, MemberRecord self, long nowMs) {
    Map<String, Seen> next = new HashMap<>();
    // The live members, as convergence counts them.
    for (MemberRecord r : Membership.of(self.app(), snap.records().values(), snap.view()).live()) {
      if (r.name().equals(self.name()) || Objects.equals(r.checksum(), self.checksum())) {
        continue;
      }
      String value = snap.raw().get(r.name());
      Seen before = seen.get(r.name());
      next.put(r.name(), before != null && before.value().equals(value) && before.nodeId().equals(r.nodeId())
        ? before : new Seen(r.name(), r.nodeId(), value, nowMs, Long.MIN_VALUE));
    }
    seen.clear();
    seen.putAll(next);
    List<Seen> ask = new ArrayList<>();
    for (Seen s : next.values()) {
      boolean due = nowMs - s.sinceMs() >= ASK_AFTER_MS
        && (s.askedMs() == Long.MIN_VALUE || nowMs - s.askedMs() >= ASK_EVERY_MS);
      if (due) {
        Seen asked = new Seen(s.name(), s.nodeId(), s.value(), s.sinceMs(), nowMs);
        seen.put(s.name(), asked);
        ask.add(asked);
      }
    }
    ask.sort(Comparator.comparing(Seen::name));
    return ask;
  }

  /** @return whether some record disagrees now: reads must go on, or it would never be asked about */
  boolean pending() {
    return !seen.isEmpty();
  }

  /** Forgets everything (the node left). */
  void clear() {
    seen.clear();
  }
}
