package dev.cloister.impl.membership;

import dev.cloister.CloisterMember;
import dev.cloister.CloisterStatus;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A node's entry in the replicated members cache, stored as a JSON string under the node name.
 *
 * @param name the node name (the cache key)
 * @param app the application; records of other apps are never members
 * @param group the ring this node joins
 * @param host the cluster transport's address
 * @param port the cluster transport's port
 * @param nodeId the Vert.x cluster node id, which is also the JGroups member name
 * @param startedAt epoch ms when the node started; the oldest live member is the sentry
 * @param status the status the node last reported
 * @param checksum the topology checksum the node last installed, or {@code null}
 */
public record MemberRecord(String name, String app, String group, String host, int port, String nodeId,
                           long startedAt, CloisterStatus status, String checksum) {

  /** Longest accepted record, in characters: anything longer is not ours. */
  public static final int MAX_LENGTH = 8192;

  /**
   * The record with a new status and checksum.
   *
   * @param status the status to report
   * @param checksum the checksum to report
   * @return a new record
   */
  public MemberRecord report(CloisterStatus status, String checksum) {
    return new MemberRecord(name, app, group, host, port, nodeId, startedAt, status, checksum);
  }

  /** @return the JSON string stored in the cache */
  public String encode() {
    return new JsonObject()
      .put("name", name).put("app", app).put("group", group).put("host", host).put("port", port)
      .put("nodeId", nodeId).put("startedAt", startedAt).put("status", status.name()).put("checksum", checksum)
      .encode();
  }

  /**
   * Decodes a cache value.
   *
   * @param key the cache key, which must equal the record's name
   * @param value the cache value
   * @return the record
   * @throws IllegalArgumentException saying what is wrong with a value that is not a valid record
   */
  public static MemberRecord decode(Object key, Object value) {
    if (!(key instanceof String k) || !(value instanceof String v)) {
      throw new IllegalArgumentException("not a string entry");
    }
    if (v.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("longer than " + MAX_LENGTH + " characters");
    }
    try {
      JsonObject j = new JsonObject(v);
      MemberRecord r = new MemberRecord(required(j, "name"), required(j, "app"), required(j, "group"),
        required(j, "host"), j.getInteger("port"), required(j, "nodeId"), j.getLong("startedAt"),
        CloisterStatus.valueOf(required(j, "status")), j.getString("checksum"));
      if (!r.name.equals(k)) {
        throw new IllegalArgumentException("stored under '" + k + "' but named '" + r.name + "'");
      }
      if (r.port < 0 || r.port > 65535 || r.startedAt < 0) {
        throw new IllegalArgumentException("port or startedAt out of range");
      }
      return r;
    } catch (DecodeException | ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("malformed JSON record: " + e.getMessage());
    }
  }

  private static String required(JsonObject j, String field) {
    String s = j.getString(field);
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("missing " + field);
    }
    return s;
  }

  /** @return the public description of this member */
  public CloisterMember toMember() {
    return new CloisterMember().setName(name).setGroup(group).setHost(host).setPort(port).setNodeId(nodeId)
      .setStartedAt(startedAt).setStatus(status);
  }
}
