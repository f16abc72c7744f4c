package dev.cloister.impl.membership;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The live members of one app, computed from the member records and the cluster view alone, so
 * that every node with the same records and view computes the same membership, sentry and
 * checksum.
 *
 * @param app the application
 * @param live the app's records whose node is in the view, sorted by name: the rings' members
 * @param counted how many of them count towards quorum: those this node has fresh evidence of
 */
public record Membership(String app, List<MemberRecord> live, int counted) {

  /**
   * A membership whose live members all count.
   *
   * @param app the application
   * @param live the live records, sorted by name
   */
  public Membership(String app, List<MemberRecord> live) {
    this(app, live, live.size());
  }

  /** Orders the sentry candidates: oldest first, then by name. */
  private static final Comparator<MemberRecord> AGE =
    Comparator.comparingLong(MemberRecord::startedAt).thenComparing(MemberRecord::name);

  /**
   * The membership seen through {@code view}.
   *
   * @param app the application whose members count
   * @param records every decoded record of the cache
   * @param view the node ids in the current cluster view
   * @return the membership
   */
  public static Membership of(String app, Collection<MemberRecord> records, Set<String> view) {
    return of(app, records, view, view);
  }

  /**
   * The membership seen through {@code view}, of which only the members in {@code counted} count
   * towards quorum.
   *
   * @param app the application whose members count
   * @param records every decoded record of the cache
   * @param view the node ids in the current cluster view
   * @param counted the node ids this node has fresh evidence of
   * @return the membership
   */
  public static Membership of(String app, Collection<MemberRecord> records, Set<String> view, Set<String> counted) {
    List<MemberRecord> live = new ArrayList<>();
    int n = 0;
    for (MemberRecord r : records) {
      if (r.app().equals(app) && view.contains(r.nodeId())) {
        live.add(r);
        if (counted.contains(r.nodeId())) {
          n++;
        }
      }
    }
    live.sort(Comparator.comparing(MemberRecord::name));
    return new Membership(app, List.copyOf(live), n);
  }

  /** @return the number of live members */
  public int size() {
    return live.size();
  }

  /** @return the oldest live member's name (start time, then name), or {@code null} when none */
  public String sentry() {
    return live.stream().min(AGE).map(MemberRecord::name).orElse(null);
  }

  /** @return sorted live member names by group */
  public Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new TreeMap<>();
    for (MemberRecord r : live) {
      groups.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r.name());
    }
    return groups;
  }

  /**
   * The names of one group's live members, sorted.
   *
   * @param group a group
   * @return the names, empty for an unknown group
   */
  public List<String> group(String group) {
    return groups().getOrDefault(group, List.of());
  }

  /**
   * Whether the two memberships have the same members in the same groups (status and checksum
   * reports aside): the only change that makes a node rehash.
   *
   * @param other another membership
   * @return true when no rehash is needed
   */
  public boolean sameTopology(Membership other) {
    return other != null && groups().equals(other.groups());
  }

  /**
   * Whether every live member reports {@code checksum}.
   *
   * @param checksum the checksum to compare with
   * @return true when all agree
   */
  public boolean convergedOn(String checksum) {
    return !live.isEmpty() && live.stream().allMatch(r -> Objects.equals(r.checksum(), checksum));
  }
}
