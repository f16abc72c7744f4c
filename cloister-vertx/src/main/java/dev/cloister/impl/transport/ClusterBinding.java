package dev.cloister.impl.transport;

import dev.cloister.impl.config.HostAndPort;
import dev.cloister.impl.config.NodeConfig;
import dev.cloister.impl.config.Sentry;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * Where the cluster transport binds, chosen by Cloister's rule: the explicit {@code clusterHost} /
 * {@code clusterPort}; else the local address that appears in the sentry; else the first
 * non-loopback address. With {@code loopback}, 127.0.0.1. When the sentry names several local
 * ports, the first free one is taken and the transport may try the next ones, so one config can
 * start a whole local cluster.
 *
 * @param host the bind address
 * @param port the first port to try
 * @param portRange how many further ports to try when {@code port} is taken
 */
public record ClusterBinding(InetAddress host, int port, int portRange) {

  private static final Logger log = LoggerFactory.getLogger(ClusterBinding.class);

  /**
   * Chooses the binding for {@code config}; may resolve host names (blocking).
   *
   * @param config the node's configuration
   * @return the binding
   */
  public static ClusterBinding choose(NodeConfig config) {
    Sentry sentry = config.sentry();
    InetAddress host = chooseHost(config);
    if (config.clusterPort() != 0) {
      return new ClusterBinding(host, config.clusterPort(), 0);
    }
    TreeSet<Integer> localPorts = new TreeSet<>();
    for (HostAndPort seed : sentry.staticSeeds()) {
      InetAddress a = resolve(seed.host());
      if (a != null && (a.equals(host) || (a.isLoopbackAddress() && host.isLoopbackAddress()))) {
        localPorts.add(seed.port());
      }
    }
    if (localPorts.isEmpty()) {
      return new ClusterBinding(host, config.defaultPort(), 0);
    }
    for (int p : localPorts) {
      if (isFree(host, p)) {
        return new ClusterBinding(host, p, localPorts.last() - p);
      }
    }
    throw new IllegalStateException("Every cluster port that the sentry names on " + host.getHostAddress()
      + " is taken: " + localPorts + "; set clusterPort or free one of them");
  }

  private static InetAddress chooseHost(NodeConfig config) {
    if (config.clusterHost() != null) {
      InetAddress a = resolve(config.clusterHost());
      if (a == null) {
        throw new IllegalArgumentException("Invalid Cloister option clusterHost = '" + config.clusterHost()
          + "': cannot be resolved");
      }
      return a;
    }
    if (config.loopback()) {
      return InetAddress.getLoopbackAddress();
    }
    for (HostAndPort seed : config.sentry().staticSeeds()) {
      InetAddress a = resolve(seed.host());
      if (a != null && isLocal(a)) {
        return a;
      }
    }
    return firstNonLoopback();
  }

  /**
   * The first address of an up, non-loopback interface, IPv4 first; loopback when there is none.
   *
   * @return an address of this host
   */
  public static InetAddress firstNonLoopback() {
    List<InetAddress> candidates = new ArrayList<>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (ni.isUp() && !ni.isLoopback()) {
          for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            if (!a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
              candidates.add(a);
            }
          }
        }
      }
    } catch (SocketException e) {
      log.warn("Cannot list network interfaces: " + e.getMessage());
    }
    return candidates.stream().filter(a -> a instanceof Inet4Address).findFirst()
      .or(() -> candidates.stream().findFirst())
      .orElseGet(() -> {
        log.warn("No non-loopback network interface: binding the cluster transport to loopback");
        return InetAddress.getLoopbackAddress();
      });
  }

  /**
   * Whether {@code a} belongs to this host.
   *
   * @param a an address
   * @return true for loopback, wildcard and interface addresses
   */
  public static boolean isLocal(InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(a) != null;
    } catch (SocketException e) {
      return false;
    }
  }

  private static InetAddress resolve(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean isFree(InetAddress host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
