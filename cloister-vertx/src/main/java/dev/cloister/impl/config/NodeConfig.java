package dev.cloister.impl.config;

import dev.cloister.CloisterOptions;
import dev.cloister.QuorumLossPolicy;

import java.util.ArrayList;
import java.util.List;

/**
 * A node's options, validated and worked out once: the parsed sentry, the default cluster port,
 * the effective group and vnodes, the DNS servers as addresses. Every part of the node reads this
 * value instead of interpreting {@link CloisterOptions} again.
 *
 * @param options a private copy of the validated options, for what is handed back to users
 * @param app the application name
 * @param group the group this node joins (the app when unset)
 * @param nodeName the node name option, {@code null} for {@code app@host:port}
 * @param listener the listener class name option, or {@code null}
 * @param sentry the parsed sentry
 * @param clusterHost the cluster host option, or {@code null}
 * @param clusterPort the cluster port option, 0 for automatic
 * @param defaultPort the port of seeds that name none: {@code clusterPort}, or the default
 * @param consensus how many members make a quorum
 * @param startTimeout ms to reach READY, 0 for forever
 * @param discoveryInterval ms between DNS resolutions
 * @param dnsServers the DNS servers to ask, empty for the system's
 * @param vnodes points per member on the rings (the default when the option is 0)
 * @param quorumLossPolicy what ownership answers below consensus
 * @param addressPrefix the event-bus address prefix
 * @param loopback whether the transport stays on the loopback interface
 * @param clusterSecret the cluster secret, or {@code null}
 * @param shutdownHook whether a JVM shutdown hook makes the node leave gracefully
 * @param failureDetection the transport's failure-detection timings
 * @param jgroupsConfig the user's JGroups XML (a file or class-path resource), or {@code null} for
 *     the stack Cloister builds
 */
public record NodeConfig(CloisterOptions options, String app, String group, String nodeName, String listener,
                         Sentry sentry, String clusterHost, int clusterPort, int defaultPort, int consensus,
                         long startTimeout, long discoveryInterval, List<HostAndPort> dnsServers, int vnodes,
                         QuorumLossPolicy quorumLossPolicy, String addressPrefix, boolean loopback,
                         String clusterSecret, boolean shutdownHook, FailureDetection failureDetection,
                         String jgroupsConfig) {

  /** Points per member on a ring when the {@code vnodes} option is 0. */
  public static final int DEFAULT_VNODES = 4096;
  /** The port of a DNS server that names none. */
  public static final int DNS_PORT = 53;

  /**
   * Validates and resolves options.
   *
   * @param options the options; copied, never kept
   * @return the resolved configuration
   * @throws IllegalArgumentException naming an invalid option
   */
  public static NodeConfig of(CloisterOptions options) {
    CloisterOptions o = new CloisterOptions(options).validate();
    int defaultPort = defaultPort(o);
    return new NodeConfig(o, o.getApp(), o.effectiveGroup(), o.getNodeName(), o.getListener(),
      Sentry.parse(o.getSentry(), defaultPort), o.getClusterHost(), o.getClusterPort(), defaultPort,
      o.getConsensus(), o.getStartTimeout(), o.getDiscoveryInterval(), dnsServers(o.getDnsServers()),
      o.getVnodes() == 0 ? DEFAULT_VNODES : o.getVnodes(), o.getQuorumLossPolicy(), o.getAddressPrefix(),
      o.isLoopback(), o.getClusterSecret(), o.isShutdownHook(), new FailureDetection(o.getHeartbeatInterval(),
        o.getSuspectTimeout(), o.getVerifySuspectTimeout(), o.getJoinTimeout()), o.getJgroupsConfig());
  }

  /**
   * The port of seeds that name none: the cluster port, or the default when it is automatic.
   *
   * @param options the options
   * @return the port
   */
  static int defaultPort(CloisterOptions options) {
    return options.getClusterPort() == 0 ? CloisterOptions.DEFAULT_CLUSTER_PORT : options.getClusterPort();
  }

  /**
   * Parses the {@code dnsServers} option.
   *
   * @param servers {@code host[:port]} strings
   * @return the servers, port 53 where none is named
   * @throws IllegalArgumentException on a malformed entry
   */
  static List<HostAndPort> dnsServers(List<String> servers) {
    List<HostAndPort> out = new ArrayList<>();
    for (String s : servers) {
      out.add(HostAndPort.parse(s, DNS_PORT));
    }
    return List.copyOf(out);
  }

  /** @return the options, as a copy the caller may change */
  public CloisterOptions copyOfOptions() {
    return new CloisterOptions(options);
  }

  /**
   * Whether a membership of {@code size} members has a quorum.
   *
   * @param size live members
   * @return true when at least {@code consensus}
   */
  public boolean quorate(int size) {
    return size >= consensus;
  }

  /**
   * The longest time from a node becoming silent (crash, hang, partition) to its exclusion from
   * the survivors' view, with the transport Cloister builds from these options.
   *
   * @return the bound, ms
   * @see FailureDetection#bound()
   */
  public long failureDetectionBound() {
    return failureDetection.bound();
  }

  @Override
  public String toString() {
    return options.toString();
  }
}
