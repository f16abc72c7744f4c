package dev.cloister.impl.http;

import dev.cloister.impl.ring.HashRing;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What the dashboard draws of a group's ring: each member's exact share of the keys, and the
 * owner at evenly spaced positions around the circle (a ring has thousands of points per
 * member, far more than a drawing can show).
 */
final class RingLayout {

  /** Positions sampled around the circle: half a degree each. */
  static final int SEGMENTS = 720;

  private RingLayout() {
  }

  /**
   * The layout of every group's ring.
   *
   * @param rings the installed rings
   * @return {@code {"checksum", "segments", "groups": [{"group", "version", "checksum", "vnodes",
   *     "members": [{"name", "share"}], "owners": [member index per segment]}]}}
   */
  static JsonObject of(Rings rings) {
    JsonArray groups = new JsonArray();
    rings.groups().forEach((group, v) -> groups.add(group(group, v)));
    return new JsonObject().put("checksum", rings.checksum()).put("segments", SEGMENTS).put("groups", groups);
  }

  private static JsonObject group(String group, Rings.Versioned v) {
    HashRing ring = v.ring();
    double[] shares = ring.shares();
    JsonArray members = new JsonArray();
    for (int i = 0; i < shares.length; i++) {
      members.add(new JsonObject().put("name", ring.members().get(i)).put("share", shares[i]));
    }
    java.util.Map<String, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < ring.members().size(); i++) {
      index.put(ring.members().get(i), i);
    }
    JsonArray owners = new JsonArray();
    if (!ring.isEmpty()) {
      long step = (1L << 48) / SEGMENTS;
      for (int s = 0; s < SEGMENTS; s++) {
        // The middle of each segment, as the hash of a key there: positions are a hash's top 48 bits.
        long position = s * step + step / 2;
        owners.add(index.get(ring.owner(position << 16)));
      }
    }
    return new JsonObject().put("group", group).put("version", v.version()).put("checksum", v.checksum())
      .put("vnodes", ring.vnodes()).put("members", members).put("owners", owners);
  }
}
