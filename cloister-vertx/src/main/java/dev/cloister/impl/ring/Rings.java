package dev.cloister.impl.ring;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rings of every group, as one immutable value replaced atomically at each rehash. A group's
 * ring is rebuilt, and its version incremented, only when its member set changed.
 */
public final class Rings {

  /** A group's ring and how many times it was rebuilt on this node. */
  public record Versioned(HashRing ring, long version) {
    /** @return the ring's checksum as 16 hex digits */
    public String checksum() {
      return HexFormat.of().toHexDigits(ring.checksum());
    }
  }

  /** No group, no ring. */
  public static final Rings EMPTY = new Rings(Map.of());

  private final Map<String, Versioned> groups;
  private final String checksum;

  private Rings(Map<String, Versioned> groups) {
    this.groups = Collections.unmodifiableMap(groups);
    StringBuilder sb = new StringBuilder("cloister-rings/1");
    groups.forEach((g, v) -> sb.append(';').append(g.length()).append(':').append(g).append('=').append(v.checksum()));
    this.checksum = HexFormat.of().toHexDigits(KeyHash.hash(sb.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The rings for a new membership, reusing the rings of groups whose members did not change and
   * deriving the others from their previous ring ({@link HashRing#rebuild}).
   *
   * @param members sorted member names by group
   * @param vnodes points per member
   * @return the new rings
   */
  public Rings next(Map<String, List<String>> members, int vnodes) {
    Map<String, Versioned> next = new TreeMap<>();
    members.forEach((group, names) -> {
      Versioned old = groups.get(group);
      if (old != null && old.ring.vnodes() == vnodes && old.ring.members().equals(names)) {
        next.put(group, old);
      } else if (old != null && old.ring.vnodes() == vnodes) {
        // Nearly always one join or one leave: derived from the old ring, far cheaper than a build.
        next.put(group, new Versioned(old.ring.rebuild(names), old.version + 1));
      } else {
        next.put(group, new Versioned(HashRing.of(names, vnodes), old == null ? 1 : old.version + 1));
      }
    });
    return new Rings(next);
  }

  /**
   * A group's ring.
   *
   * @param group the group
   * @return its ring, or {@code null} when the group has no live member
   */
  public Versioned group(String group) {
    return groups.get(group);
  }

  /** @return every group's ring, by group name */
  public Map<String, Versioned> groups() {
    return groups;
  }

  /** @return a checksum over every group's ring, equal on nodes that built the same rings */
  public String checksum() {
    return checksum;
  }
}
