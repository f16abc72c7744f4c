package dev.cloister.impl.transport;

import org.jgroups.JChannel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the transport tests' channels on loopback share: their seeds and a view of their views. */
final class LoopbackChannels {

  private LoopbackChannels() {
  }

  /**
   * @param ports the channels' ports
   * @return the discovery seeds: each port on the loopback address
   */
  static List<InetSocketAddress> seeds(List<Integer> ports) {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    return ports.stream().map(p -> new InetSocketAddress(loopback, p)).toList();
  }

  /**
   * @param channels the channels
   * @return each channel's address → its view, for a failure message
   */
  static Map<String, String> views(List<JChannel> channels) {
    Map<String, String> out = new TreeMap<>();
    channels.forEach(c -> out.put(String.valueOf(c.getAddress()), String.valueOf(c.getView())));
    return out;
  }
}
