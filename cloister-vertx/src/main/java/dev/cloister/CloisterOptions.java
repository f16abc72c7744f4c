package dev.cloister;

import dev.cloister.impl.config.OptionTable;
import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configuration of a Cloister node, settable in code, from a JSON verticle config and from
 * {@code CLOISTER_<OPTION>} environment variables (upper snake case: {@code CLOISTER_SENTRY},
 * {@code CLOISTER_CONSENSUS}, {@code CLOISTER_CLUSTER_HOST}, ...).
 *
 * <p>Every option is named, parsed and validated in one table; {@link #validate()} fails with an
 * {@link IllegalArgumentException} that names the option and the value.
 */
@DataObject
public class CloisterOptions {

  /** Default application name. */
  public static final String DEFAULT_APP = "cloister";
  /** Default cluster port, JGroups' own. */
  public static final int DEFAULT_CLUSTER_PORT = 7800;
  /** Default interval between re-resolutions of a DNS sentry, in ms. */
  public static final long DEFAULT_DISCOVERY_INTERVAL = 5000;
  /** Default prefix of event-bus addresses. */
  public static final String DEFAULT_ADDRESS_PREFIX = "cloister";
  /** Default interval between two heartbeats of a node, in ms. */
  public static final long DEFAULT_HEARTBEAT_INTERVAL = 500;
  /** Default silence after which a node is suspected, in ms. */
  public static final long DEFAULT_SUSPECT_TIMEOUT = 2000;
  /**
   * Default time a suspicion raised by a closed connection is double-checked before the node is
   * excluded, in ms.
   */
  public static final long DEFAULT_VERIFY_SUSPECT_TIMEOUT = 250;
  /** Default time a starting node looks for a cluster before forming one alone, in ms. */
  public static final long DEFAULT_JOIN_TIMEOUT = 500;

  private String app = DEFAULT_APP;
  private List<String> sentry = new ArrayList<>();
  private int consensus = 1;
  private String group;
  private String nodeName;
  private String listener;
  private long startTimeout;
  private long discoveryInterval = DEFAULT_DISCOVERY_INTERVAL;
  private List<String> dnsServers = new ArrayList<>();
  private String clusterHost;
  private int clusterPort;
  private int vnodes;
  private QuorumLossPolicy quorumLossPolicy = QuorumLossPolicy.KEEP;
  private String addressPrefix = DEFAULT_ADDRESS_PREFIX;
  private boolean loopback;
  private String clusterSecret;
  private boolean shutdownHook = true;
  private long heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
  private long suspectTimeout = DEFAULT_SUSPECT_TIMEOUT;
  private long verifySuspectTimeout = DEFAULT_VERIFY_SUSPECT_TIMEOUT;
  private long joinTimeout = DEFAULT_JOIN_TIMEOUT;
  private String jgroupsConfig;

  /** Creates options with every default. */
  public CloisterOptions() {
  }

  /**
   * Copies options.
   *
   * @param other the options to copy
   */
  public CloisterOptions(CloisterOptions other) {
    this(other.toJson());
  }

  /**
   * Creates options from JSON (a verticle config); an unknown key or a value of the wrong type
   * fails with an {@link IllegalArgumentException} naming it.
   *
   * @param json the options as JSON, keys as the option names
   */
  public CloisterOptions(JsonObject json) {
    OptionTable.fromJson(this, json);
  }

  /**
   * Options from defaults overridden by the {@code CLOISTER_*} environment variables.
   *
   * @return new options
   */
  public static CloisterOptions fromEnvironment() {
    return new CloisterOptions().applyEnvironment(System.getenv());
  }

  /**
   * Overrides these options with the {@code CLOISTER_*} variables found in {@code env}.
   *
   * @param env the environment, usually {@link System#getenv()}
   * @return this
   */
  public CloisterOptions applyEnvironment(Map<String, String> env) {
    OptionTable.fromEnvironment(this, env);
    return this;
  }

  /**
   * Checks every option.
   *
   * @return this
   * @throws IllegalArgumentException naming the first invalid option and its value
   */
  public CloisterOptions validate() {
    OptionTable.validate(this);
    return this;
  }

  /**
   * The JSON form of these options.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    return OptionTable.toJson(this);
  }

  /** @return the application name (Cloister's {@code otp_app}); nodes of another app are never members */
  public String getApp() {
    return app;
  }

  /**
   * @param app the application name
   * @return this
   */
  public CloisterOptions setApp(String app) {
    this.app = app;
    return this;
  }

  /**
   * @return how to find nodes: {@code host:port} entries (static), or one DNS name
   *     ({@code _svc._tcp.name} for SRV); empty means this node alone
   */
  public List<String> getSentry() {
    return sentry;
  }

  /**
   * @param sentry the static list or the single DNS name
   * @return this
   */
  public CloisterOptions setSentry(List<String> sentry) {
    this.sentry = sentry == null ? new ArrayList<>() : new ArrayList<>(sentry);
    return this;
  }

  /** @return the number of live members of this app (all groups) needed for {@code READY}; at least 1 */
  public int getConsensus() {
    return consensus;
  }

  /**
   * @param consensus the quorum size
   * @return this
   */
  public CloisterOptions setConsensus(int consensus) {
    this.consensus = consensus;
    return this;
  }

  /** @return the group (ring) this node joins; {@code null} means the app name */
  public String getGroup() {
    return group;
  }

  /**
   * @param group the group
   * @return this
   */
  public CloisterOptions setGroup(String group) {
    this.group = group;
    return this;
  }

  /** @return the node's stable name on the ring; {@code null} means {@code <app>@<host>:<clusterPort>} */
  public String getNodeName() {
    return nodeName;
  }

  /**
   * @param nodeName the node name
   * @return this
   */
  public CloisterOptions setNodeName(String nodeName) {
    this.nodeName = nodeName;
    return this;
  }

  /** @return the class name of a {@link CloisterListener} with a public no-argument constructor, or {@code null} */
  public String getListener() {
    return listener;
  }

  /**
   * @param listener a listener class name
   * @return this
   */
  public CloisterOptions setListener(String listener) {
    this.listener = listener;
    return this;
  }

  /** @return ms to wait for consensus before the start fails; 0 waits forever, logging who is missing */
  public long getStartTimeout() {
    return startTimeout;
  }

  /**
   * @param startTimeout ms, 0 for no limit
   * @return this
   */
  public CloisterOptions setStartTimeout(long startTimeout) {
    this.startTimeout = startTimeout;
    return this;
  }

  /** @return ms between re-resolutions of a DNS sentry */
  public long getDiscoveryInterval() {
    return discoveryInterval;
  }

  /**
   * @param discoveryInterval ms, more than 0
   * @return this
   */
  public CloisterOptions setDiscoveryInterval(long discoveryInterval) {
    this.discoveryInterval = discoveryInterval;
    return this;
  }

  /** @return {@code host:port} DNS servers for a DNS sentry; empty means the system's resolv.conf */
  public List<String> getDnsServers() {
    return dnsServers;
  }

  /**
   * @param dnsServers the DNS servers
   * @return this
   */
  public CloisterOptions setDnsServers(List<String> dnsServers) {
    this.dnsServers = dnsServers == null ? new ArrayList<>() : new ArrayList<>(dnsServers);
    return this;
  }

  /**
   * @return the address the cluster transport binds to; {@code null} means the local address that
   *     appears in the sentry, else the first non-loopback address (127.0.0.1 with {@code loopback})
   */
  public String getClusterHost() {
    return clusterHost;
  }

  /**
   * @param clusterHost the bind address
   * @return this
   */
  public CloisterOptions setClusterHost(String clusterHost) {
    this.clusterHost = clusterHost;
    return this;
  }

  /**
   * @return the port the cluster transport binds to; 0 means the first free local port the sentry
   *     names, else {@value #DEFAULT_CLUSTER_PORT}
   */
  public int getClusterPort() {
    return clusterPort;
  }

  /**
   * @param clusterPort the bind port, 0 for automatic
   * @return this
   */
  public CloisterOptions setClusterPort(int clusterPort) {
    this.clusterPort = clusterPort;
    return this;
  }

  /** @return points per node on the ring; 0 means the ring's default */
  public int getVnodes() {
    return vnodes;
  }

  /**
   * Points per node on the ring, the same on every node. A ring takes about 9 bytes a point: the
   * default 4096 makes 37 MB at 1000 members, where 1024 (9 MB) trades some balance for memory.
   *
   * @param vnodes points per node, 0 for the default
   * @return this
   */
  public CloisterOptions setVnodes(int vnodes) {
    this.vnodes = vnodes;
    return this;
  }

  /** @return what ownership questions get below consensus */
  public QuorumLossPolicy getQuorumLossPolicy() {
    return quorumLossPolicy;
  }

  /**
   * @param quorumLossPolicy the policy
   * @return this
   */
  public CloisterOptions setQuorumLossPolicy(QuorumLossPolicy quorumLossPolicy) {
    this.quorumLossPolicy = quorumLossPolicy;
    return this;
  }

  /** @return the prefix of Cloister's event-bus addresses ({@code <prefix>.state}, {@code <prefix>.whois}) */
  public String getAddressPrefix() {
    return addressPrefix;
  }

  /**
   * @param addressPrefix the prefix
   * @return this
   */
  public CloisterOptions setAddressPrefix(String addressPrefix) {
    this.addressPrefix = addressPrefix;
    return this;
  }

  /** @return whether to bind the cluster transport to loopback (tests, development) */
  public boolean isLoopback() {
    return loopback;
  }

  /**
   * @param loopback prefer loopback
   * @return this
   */
  public CloisterOptions setLoopback(boolean loopback) {
    this.loopback = loopback;
    return this;
  }

  /**
   * @return whether a JVM shutdown hook makes the node leave gracefully (on SIGTERM: the record is
   *     removed first and listeners see {@code STOPPING} then {@code STOPPED}), then closes its
   *     Vert.x; on {@link CloisterClusterManager}, Vert.x is closed (the cluster left gracefully)
   *     even when no Cloister runs yet
   */
  public boolean isShutdownHook() {
    return shutdownHook;
  }

  /**
   * @param shutdownHook whether to install the shutdown hook (default true); turn it off when the
   *     application closes its Vert.x itself on shutdown
   * @return this
   */
  public CloisterOptions setShutdownHook(boolean shutdownHook) {
    this.shutdownHook = shutdownHook;
    return this;
  }

  /**
   * @return the shared secret that encrypts cluster traffic; nodes without it never join, or
   *     {@code null} for none
   */
  public String getClusterSecret() {
    return clusterSecret;
  }

  /**
   * @param clusterSecret at least 16 characters, the same on every node of the app
   * @return this
   */
  public CloisterOptions setClusterSecret(String clusterSecret) {
    this.clusterSecret = clusterSecret;
    return this;
  }

  /**
   * @return ms between two heartbeats of a node; below {@link #getSuspectTimeout()}. Shorter
   *     notices silence sooner at the cost of more small messages (one per member and interval)
   */
  public long getHeartbeatInterval() {
    return heartbeatInterval;
  }

  /**
   * @param heartbeatInterval ms, more than 0 and below the suspect timeout
   * @return this
   */
  public CloisterOptions setHeartbeatInterval(long heartbeatInterval) {
    this.heartbeatInterval = heartbeatInterval;
    return this;
  }

  /**
   * @return ms of silence after which a node is suspected (and, once the suspicion is verified,
   *     excluded): how fast a hung or cut-off node leaves the view, and how long a pause (a long
   *     GC, a stalled VM) a node may take without being expelled
   */
  public long getSuspectTimeout() {
    return suspectTimeout;
  }

  /**
   * @param suspectTimeout ms, above the heartbeat interval
   * @return this
   */
  public CloisterOptions setSuspectTimeout(long suspectTimeout) {
    this.suspectTimeout = suspectTimeout;
    return this;
  }

  /**
   * @return ms a suspicion raised by a closed connection (a crash, as a rule) is double-checked
   *     (the suspect is asked directly) before the node is excluded: what a crash costs on top of
   *     its detection; a suspicion raised by silence is checked for the longer of this and half
   *     the suspect timeout, since a slow network also delays the answer
   */
  public long getVerifySuspectTimeout() {
    return verifySuspectTimeout;
  }

  /**
   * @param verifySuspectTimeout ms, more than 0
   * @return this
   */
  public CloisterOptions setVerifySuspectTimeout(long verifySuspectTimeout) {
    this.verifySuspectTimeout = verifySuspectTimeout;
    return this;
  }

  /**
   * @return ms a starting node looks for a cluster before forming one alone; too short on a slow
   *     network and nodes started together may form separate clusters (merged later)
   */
  public long getJoinTimeout() {
    return joinTimeout;
  }

  /**
   * @param joinTimeout ms, more than 0
   * @return this
   */
  public CloisterOptions setJoinTimeout(long joinTimeout) {
    this.joinTimeout = joinTimeout;
    return this;
  }

  /**
   * @return the user's own JGroups stack for {@link CloisterClusterManager}: an XML file path or a
   *     class-path resource; {@code null} (the default) for the stack Cloister builds. With it the
   *     stack owns discovery, binding and encryption: {@code clusterHost}, {@code clusterPort},
   *     {@code clusterSecret} and the failure-detection timings must then be left unset
   */
  public String getJgroupsConfig() {
    return jgroupsConfig;
  }

  /**
   * @param jgroupsConfig a JGroups XML file path or class-path resource, or {@code null}
   * @return this
   */
  public CloisterOptions setJgroupsConfig(String jgroupsConfig) {
    this.jgroupsConfig = jgroupsConfig;
    return this;
  }

  /**
   * The group this node joins: {@link #getGroup()}, or the app name when unset.
   *
   * @return the effective group
   */
  public String effectiveGroup() {
    return group == null || group.isEmpty() ? app : group;
  }

  @Override
  public String toString() {
    JsonObject json = toJson();
    if (clusterSecret != null) {
      json.put("clusterSecret", "****");
    }
    return json.encode();
  }
}
