package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * One live member of the cluster as every node sees it: its name, group and where it runs.
 */
@DataObject
public class CloisterMember {

  private String name;
  private String group;
  private String host;
  private int port;
  private String nodeId;
  private long startedAt;
  private CloisterStatus status;

  /** Creates an empty member description. */
  public CloisterMember() {
  }

  /**
   * Creates a member description from its JSON form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public CloisterMember(JsonObject json) {
    name = json.getString("name");
    group = json.getString("group");
    host = json.getString("host");
    port = json.getInteger("port", 0);
    nodeId = json.getString("nodeId");
    startedAt = json.getLong("startedAt", 0L);
    String s = json.getString("status");
    status = s == null ? null : CloisterStatus.valueOf(s);
  }

  /**
   * The JSON form of this member.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    return new JsonObject()
      .put("name", name)
      .put("group", group)
      .put("host", host)
      .put("port", port)
      .put("nodeId", nodeId)
      .put("startedAt", startedAt)
      .put("status", status == null ? null : status.name());
  }

  /** @return the node name, unique among live members and stable across restarts */
  public String getName() {
    return name;
  }

  /**
   * @param name the node name
   * @return this
   */
  public CloisterMember setName(String name) {
    this.name = name;
    return this;
  }

  /** @return the group (ring) the member belongs to */
  public String getGroup() {
    return group;
  }

  /**
   * @param group the group
   * @return this
   */
  public CloisterMember setGroup(String group) {
    this.group = group;
    return this;
  }

  /** @return the address its cluster transport is bound to */
  public String getHost() {
    return host;
  }

  /**
   * @param host the cluster host
   * @return this
   */
  public CloisterMember setHost(String host) {
    this.host = host;
    return this;
  }

  /** @return the port its cluster transport is bound to */
  public int getPort() {
    return port;
  }

  /**
   * @param port the cluster port
   * @return this
   */
  public CloisterMember setPort(int port) {
    this.port = port;
    return this;
  }

  /** @return its Vert.x cluster node id, the key for node-scoped event-bus routing */
  public String getNodeId() {
    return nodeId;
  }

  /**
   * @param nodeId the Vert.x node id
   * @return this
   */
  public CloisterMember setNodeId(String nodeId) {
    this.nodeId = nodeId;
    return this;
  }

  /** @return when it started, in epoch milliseconds; the oldest member is the sentry */
  public long getStartedAt() {
    return startedAt;
  }

  /**
   * @param startedAt epoch milliseconds
   * @return this
   */
  public CloisterMember setStartedAt(long startedAt) {
    this.startedAt = startedAt;
    return this;
  }

  /** @return the status it last reported */
  public CloisterStatus getStatus() {
    return status;
  }

  /**
   * @param status the reported status
   * @return this
   */
  public CloisterMember setStatus(CloisterStatus status) {
    this.status = status;
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CloisterMember && toJson().equals(((CloisterMember) o).toJson());
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, group, host, port, nodeId, startedAt, status);
  }

  @Override
  public String toString() {
    return name;
  }
}
