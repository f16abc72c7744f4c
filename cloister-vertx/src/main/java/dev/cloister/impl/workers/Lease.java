package dev.cloister.impl.workers;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Who may run a key: the holder's node name and cluster node id, a token unique to this taking of
 * the lease, and whether the holder is handing the key off. Stored as JSON text in the set's lease
 * cache; a node starts a key only while it holds its lease.
 *
 * @param node the holder's node name
 * @param nodeId the holder's cluster node id
 * @param token unique to one taking of the lease
 * @param moving whether the holder is handing the key off
 */
record Lease(String node, String nodeId, String token, boolean moving) {

  /** @return the stored form */
  String encode() {
    return new JsonObject().put("node", node).put("id", nodeId).put("token", token).put("moving", moving).encode();
  }

  /** @return the same lease, marked as handing off */
  Lease handingOff() {
    return new Lease(node, nodeId, token, true);
  }

  /**
   * Reads a stored lease.
   *
   * @param value the stored value
   * @return the lease, or {@code null} when the value is not one (treated as a lease of nobody)
   */
  static Lease decode(Object value) {
    if (!(value instanceof String s) || s.length() > 4096) {
      return null;
    }
    try {
      JsonObject j = new JsonObject(s);
      Object node = j.getValue("node");
      Object id = j.getValue("id");
      Object token = j.getValue("token");
      Object moving = j.getValue("moving", false);
      if (node instanceof String n && id instanceof String i && token instanceof String t && moving instanceof Boolean m) {
        return new Lease(n, i, t, m);
      }
      return null;
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
