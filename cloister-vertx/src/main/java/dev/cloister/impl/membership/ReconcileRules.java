package dev.cloister.impl.membership;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The pure rules of the membership reconciler: which records to purge, which members are back
 * without a record, and whether this node may write its own record.
 */
final class ReconcileRules {

  private ReconcileRules() {
  }

  /**
   * The records of nodes this node saw in a view and then lost. Only those: a record may reach
   * this replica a moment before its node's view does.
   *
   * @param snap a snapshot
   * @param known node ids seen in earlier views
   * @return the names to purge
   */
  static List<String> departed(MembersCache.Snapshot snap, Set<String> known) {
    List<String> out = new ArrayList<>();
    for (MemberRecord r : snap.records().values()) {
      if (!snap.view().contains(r.nodeId()) && known.contains(r.nodeId())) {
        out.add(r.name());
      }
    }
    return out;
  }

  /**
   * Members this node saw leave its view that are back in it, with no record here yet. Their
   * records were purged while they were away; until the record is back (each node writes its own
   * in every new view) this node's membership misses them, and its ring would differ from the
   * rings of nodes that kept or already regained their records.
   *
   * @param snap a snapshot
   * @param leftView node ids seen leaving the view
   * @return the node ids waited for
   */
  static Set<String> returningWithoutRecord(MembersCache.Snapshot snap, Set<String> leftView) {
    Set<String> withRecord = new HashSet<>();
    snap.records().values().forEach(r -> withRecord.add(r.nodeId()));
    Set<String> out = new HashSet<>();
    for (String id : leftView) {
      if (snap.view().contains(id) && !withRecord.contains(id)) {
        out.add(id);
      }
    }
    return out;
  }

  /**
   * Whether this node's record, under its name and with its id, is on the snapshot's replica.
   *
   * @param snap a snapshot
   * @param self this node's record
   * @return false when the record is missing or another node's
   */
  static boolean holdsOwnRecord(MembersCache.Snapshot snap, MemberRecord self) {
    MemberRecord stored = snap.records().get(self.name());
    return stored != null && stored.nodeId().equals(self.nodeId());
  }

  /**
   * Records that carry this node's id under another name. A node writes only its own name: left
   * alone such a record would be a phantom member, alive as long as this node is, or, under
   * another node's name, keep that node out of the ring. Only this node can tell.
   *
   * @param snap a snapshot
   * @param self this node's record
   * @return the names to purge
   */
  static List<String> impostors(MembersCache.Snapshot snap, MemberRecord self) {
    List<String> out = new ArrayList<>();
    for (MemberRecord r : snap.records().values()) {
      if (r.nodeId().equals(self.nodeId()) && !r.name().equals(self.name())) {
        out.add(r.name());
      }
    }
    return out;
  }

  /**
   * Whether this node may write its record: not while another live node holds its name.
   *
   * @param snap a snapshot
   * @param self this node's record
   * @return false when a live node of another id holds the name
   */
  static boolean mayWrite(MembersCache.Snapshot snap, MemberRecord self) {
    MemberRecord stored = snap.records().get(self.name());
    return stored == null || holdsOwnRecord(snap, self) || !snap.view().contains(stored.nodeId());
  }
}
