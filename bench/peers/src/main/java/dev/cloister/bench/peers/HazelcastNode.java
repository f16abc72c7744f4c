package dev.cloister.bench.peers;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hazelcast member with its defaults, joined over TCP/IP to the other two on loopback. Its
 * members are those of each membership event.
 */
public final class HazelcastNode {

  private HazelcastNode() {
  }

  /**
   * The settings: {@code network.*} keys are the matching {@link Config} network settings, every
   * {@code hazelcast.*} key a Hazelcast property.
   *
   * @param tuned whether to add the failure-detection settings of Hazelcast's phi accrual
   *     failure detector documentation
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("network.port", "{port}");
    s.put("network.port-auto-increment", "false");
    s.put("network.join.multicast.enabled", "false");
    s.put("network.join.auto-detection.enabled", "false");
    s.put("network.join.tcp-ip.enabled", "true");
    s.put("network.join.tcp-ip.members", "{seeds:127.0.0.1:%d}");
    s.put("hazelcast.local.localAddress", "127.0.0.1");
    s.put("hazelcast.socket.bind.any", "false");
    // No call home from a benchmark.
    s.put("hazelcast.phone.home.enabled", "false");
    if (tuned) {
      s.put("hazelcast.heartbeat.failuredetector.type", "phi-accrual");
      s.put("hazelcast.heartbeat.interval.seconds", "1");
      s.put("hazelcast.max.no.heartbeat.seconds", "60");
      s.put("hazelcast.heartbeat.phiaccrual.failuredetector.threshold", "10");
      s.put("hazelcast.heartbeat.phiaccrual.failuredetector.sample.size", "200");
      s.put("hazelcast.heartbeat.phiaccrual.failuredetector.min.std.dev.millis", "100");
    }
    return s;
  }

  /**
   * @param settings expanded settings
   * @return the member's configuration: Hazelcast's defaults with these settings
   */
  static Config config(Map<String, String> settings) {
    Config config = new Config();
    JoinConfig join = config.getNetworkConfig().getJoin();
    settings.forEach((key, value) -> {
      switch (key) {
        case "network.port" -> config.getNetworkConfig().setPort(Integer.parseInt(value));
        case "network.port-auto-increment" -> config.getNetworkConfig().setPortAutoIncrement(Boolean.parseBoolean(value));
        case "network.join.multicast.enabled" -> join.getMulticastConfig().setEnabled(Boolean.parseBoolean(value));
        case "network.join.auto-detection.enabled" ->
          join.getAutoDetectionConfig().setEnabled(Boolean.parseBoolean(value));
        case "network.join.tcp-ip.enabled" -> join.getTcpIpConfig().setEnabled(Boolean.parseBoolean(value));
        case "network.join.tcp-ip.members" -> join.getTcpIpConfig().setMembers(Arrays.asList(value.split(",")));
        default -> {
          if (!key.startsWith("hazelcast.")) {
            throw new IllegalArgumentException("unknown Hazelcast setting " + key);
          }
          config.setProperty(key, value);
        }
      }
    });
    return config;
  }

  private static List<String> ids(Set<Member> members) {
    List<String> ids = new ArrayList<>();
    members.forEach(m -> ids.add(m.getUuid().toString()));
    return ids;
  }

  /**
   * Starts the member.
   *
   * @param args see {@link NodeArgs#parse}
   */
  public static void main(String[] args) {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    Config config = config(a.expand(settings(a.tuned())));
    config.addListenerConfig(new ListenerConfig(new InitialMembershipListener() {
      @Override
      public void init(InitialMembershipEvent event) {
        NodeOutput.members(ids(event.getMembers()));
      }

      @Override
      public void memberAdded(MembershipEvent event) {
        NodeOutput.members(ids(event.getMembers()));
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        NodeOutput.members(ids(event.getMembers()));
      }
    }));
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
    NodeOutput.self(hz.getCluster().getLocalMember().getUuid().toString());
    // shutdown() is Hazelcast's graceful leave: it waits for the partitions to be safe first.
    NodeOutput.commands(() -> {
      hz.shutdown();
      NodeOutput.exitAfterLeave(null);
    });
  }
}
