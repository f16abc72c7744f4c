package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.codegen.annotations.GenIgnore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of one node's view of the cluster: its status, whether it is quorate, the live
 * members of every group, the sentry, the expected nodes that are missing and the ring checksum.
 */
@DataObject
public class CloisterState {

  private CloisterStatus status = CloisterStatus.DOWN;
  private boolean quorate;
  private String app;
  private String node;
  private String group;
  private int consensus;
  private List<CloisterMember> members = new ArrayList<>();
  private String sentry;
  private List<String> missing = new ArrayList<>();
  private List<CloisterRing> rings = new ArrayList<>();
  private long version;
  private String checksum;
  private boolean converged;
  private long startedAt;

  /** Creates an empty state (status {@code DOWN}). */
  public CloisterState() {
  }

  /**
   * Creates a state from its JSON form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public CloisterState(JsonObject json) {
    String s = json.getString("status");
    status = s == null ? CloisterStatus.DOWN : CloisterStatus.valueOf(s);
    quorate = json.getBoolean("quorate", false);
    app = json.getString("app");
    node = json.getString("node");
    group = json.getString("group");
    consensus = json.getInteger("consensus", 0);
    members = new ArrayList<>();
    for (Object m : json.getJsonArray("members", new JsonArray())) {
      members.add(new CloisterMember((JsonObject) m));
    }
    sentry = json.getString("sentry");
    missing = new ArrayList<>();
    for (Object m : json.getJsonArray("missing", new JsonArray())) {
      missing.add((String) m);
    }
    rings = new ArrayList<>();
    for (Object r : json.getJsonArray("rings", new JsonArray())) {
      rings.add(new CloisterRing((JsonObject) r));
    }
    version = json.getLong("version", 0L);
    checksum = json.getString("checksum");
    converged = json.getBoolean("converged", false);
    startedAt = json.getLong("startedAt", 0L);
  }

  /**
   * The JSON form of this state, as published on {@code <prefix>.state}.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    JsonArray ms = new JsonArray();
    members.forEach(m -> ms.add(m.toJson()));
    JsonArray rs = new JsonArray();
    rings.forEach(r -> rs.add(r.toJson()));
    return new JsonObject()
      .put("status", status.name())
      .put("quorate", quorate)
      .put("app", app)
      .put("node", node)
      .put("group", group)
      .put("consensus", consensus)
      .put("members", ms)
      .put("groups", new JsonObject(new TreeMap<>(groups())))
      .put("sentry", sentry)
      .put("missing", new JsonArray(new ArrayList<>(missing)))
      .put("rings", rs)
      .put("version", version)
      .put("checksum", checksum)
      .put("converged", converged)
      .put("startedAt", startedAt);
  }

  /**
   * The names of the live members by group, each list sorted.
   *
   * @return a new map from group to member names
   */
  @GenIgnore
  public Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new TreeMap<>();
    for (CloisterMember m : members) {
      groups.computeIfAbsent(m.getGroup(), g -> new ArrayList<>()).add(m.getName());
    }
    groups.values().forEach(Collections::sort);
    return groups;
  }

  /**
   * The names of all live members of the app, sorted.
   *
   * @return a new list
   */
  @GenIgnore
  public List<String> memberNames() {
    List<String> names = new ArrayList<>();
    members.forEach(m -> names.add(m.getName()));
    Collections.sort(names);
    return names;
  }

  /** @return the node's status */
  public CloisterStatus getStatus() {
    return status;
  }

  /**
   * @param status the status
   * @return this
   */
  public CloisterState setStatus(CloisterStatus status) {
    this.status = status;
    return this;
  }

  /** @return whether at least {@code consensus} members of the app are live */
  public boolean isQuorate() {
    return quorate;
  }

  /**
   * @param quorate whether quorate
   * @return this
   */
  public CloisterState setQuorate(boolean quorate) {
    this.quorate = quorate;
    return this;
  }

  /** @return the application name */
  public String getApp() {
    return app;
  }

  /**
   * @param app the application name
   * @return this
   */
  public CloisterState setApp(String app) {
    this.app = app;
    return this;
  }

  /** @return this node's name */
  public String getNode() {
    return node;
  }

  /**
   * @param node this node's name
   * @return this
   */
  public CloisterState setNode(String node) {
    this.node = node;
    return this;
  }

  /** @return this node's group */
  public String getGroup() {
    return group;
  }

  /**
   * @param group this node's group
   * @return this
   */
  public CloisterState setGroup(String group) {
    this.group = group;
    return this;
  }

  /** @return the number of live members needed to be quorate */
  public int getConsensus() {
    return consensus;
  }

  /**
   * @param consensus the consensus
   * @return this
   */
  public CloisterState setConsensus(int consensus) {
    this.consensus = consensus;
    return this;
  }

  /** @return the live members of the app, all groups, sorted by name */
  public List<CloisterMember> getMembers() {
    return members;
  }

  /**
   * @param members the live members
   * @return this
   */
  public CloisterState setMembers(List<CloisterMember> members) {
    this.members = members;
    return this;
  }

  /** @return the name of the oldest live member, the same on every node */
  public String getSentry() {
    return sentry;
  }

  /**
   * @param sentry the sentry's name
   * @return this
   */
  public CloisterState setSentry(String sentry) {
    this.sentry = sentry;
    return this;
  }

  /** @return the expected nodes (from the sentry option) that are not connected */
  public List<String> getMissing() {
    return missing;
  }

  /**
   * @param missing the missing addresses
   * @return this
   */
  public CloisterState setMissing(List<String> missing) {
    this.missing = missing;
    return this;
  }

  /** @return the ring of every group, as this node installed them */
  public List<CloisterRing> getRings() {
    return rings;
  }

  /**
   * @param rings the rings
   * @return this
   */
  public CloisterState setRings(List<CloisterRing> rings) {
    this.rings = rings;
    return this;
  }

  /** @return the membership version, incremented on every change this node saw */
  public long getVersion() {
    return version;
  }

  /**
   * @param version the membership version
   * @return this
   */
  public CloisterState setVersion(long version) {
    this.version = version;
    return this;
  }

  /** @return the checksum over every group's ring, equal on nodes that agree */
  public String getChecksum() {
    return checksum;
  }

  /**
   * @param checksum the checksum
   * @return this
   */
  public CloisterState setChecksum(String checksum) {
    this.checksum = checksum;
    return this;
  }

  /** @return whether every live member reports the same checksum as this node */
  public boolean isConverged() {
    return converged;
  }

  /**
   * @param converged whether converged
   * @return this
   */
  public CloisterState setConverged(boolean converged) {
    this.converged = converged;
    return this;
  }

  /** @return when this node started, in epoch milliseconds */
  public long getStartedAt() {
    return startedAt;
  }

  /**
   * @param startedAt epoch milliseconds
   * @return this
   */
  public CloisterState setStartedAt(long startedAt) {
    this.startedAt = startedAt;
    return this;
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
