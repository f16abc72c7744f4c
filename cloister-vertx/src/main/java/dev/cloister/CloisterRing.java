package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One group's consistent-hash ring as a node installed it: its members, version and checksum.
 */
@DataObject
public class CloisterRing {

  private String group;
  private List<String> members = new ArrayList<>();
  private long version;
  private String checksum;

  /** Creates an empty ring description. */
  public CloisterRing() {
  }

  /**
   * Creates a ring description from its JSON form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public CloisterRing(JsonObject json) {
    group = json.getString("group");
    members = new ArrayList<>();
    json.getJsonArray("members", new JsonArray()).forEach(m -> members.add((String) m));
    version = json.getLong("version", 0L);
    checksum = json.getString("checksum");
  }

  /** @return the JSON form */
  public JsonObject toJson() {
    return new JsonObject().put("group", group).put("members", new JsonArray(new ArrayList<>(members)))
      .put("version", version).put("checksum", checksum);
  }

  /** @return the group */
  public String getGroup() {
    return group;
  }

  /**
   * @param group the group
   * @return this
   */
  public CloisterRing setGroup(String group) {
    this.group = group;
    return this;
  }

  /** @return the ring's members, sorted */
  public List<String> getMembers() {
    return members;
  }

  /**
   * @param members the members
   * @return this
   */
  public CloisterRing setMembers(List<String> members) {
    this.members = members;
    return this;
  }

  /** @return how many times this node rebuilt the group's ring (a local counter) */
  public long getVersion() {
    return version;
  }

  /**
   * @param version the version
   * @return this
   */
  public CloisterRing setVersion(long version) {
    this.version = version;
    return this;
  }

  /** @return the ring's checksum (algorithm, vnodes and members), equal on nodes with the same ring */
  public String getChecksum() {
    return checksum;
  }

  /**
   * @param checksum the checksum
   * @return this
   */
  public CloisterRing setChecksum(String checksum) {
    this.checksum = checksum;
    return this;
  }
}
