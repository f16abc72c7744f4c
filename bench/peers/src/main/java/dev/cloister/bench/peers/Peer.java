package dev.cloister.bench.peers;

import java.util.Map;
import java.util.function.Function;

/** The systems compared, each a node main and its settings. */
enum Peer {
  CLOISTER("Cloister (defaults)", CloisterNode.class, false, CloisterNode::settings,
    "READY state's members (ring installed)", "`vertx.close()` (undeploys the Cloister: its record goes first)"),
  HAZELCAST("Hazelcast 5.7 (defaults)", HazelcastNode.class, false, HazelcastNode::settings,
    "membership listener's member set", "`HazelcastInstance.shutdown()` (graceful)"),
  HAZELCAST_TUNED("Hazelcast 5.7 (tuned failure detection)", HazelcastNode.class, true, HazelcastNode::settings,
    "membership listener's member set", "`HazelcastInstance.shutdown()` (graceful)"),
  PEKKO("Pekko Cluster 1.7 (defaults + split-brain resolver)", PekkoNode.class, false, PekkoNode::settings,
    "members Up, until MemberRemoved", "`CoordinatedShutdown.runAll` (leave, exiting, removed)"),
  PEKKO_TUNED("Pekko Cluster 1.7 (tuned split-brain resolver)", PekkoNode.class, true, PekkoNode::settings,
    "members Up, until MemberRemoved", "`CoordinatedShutdown.runAll` (leave, exiting, removed)"),
  INFINISPAN("bare vertx-infinispan (default stack)", InfinispanNode.class, false, InfinispanNode::settings,
    "Infinispan cluster view (JGroups)", "`vertx.close()` (cache manager stops, JGroups leaves)");

  final String label;
  final Class<?> main;
  final boolean tuned;
  final Function<Boolean, Map<String, String>> settings;
  final String membership;
  final String leave;

  Peer(String label, Class<?> main, boolean tuned, Function<Boolean, Map<String, String>> settings,
       String membership, String leave) {
    this.label = label;
    this.main = main;
    this.tuned = tuned;
    this.settings = settings;
    this.membership = membership;
    this.leave = leave;
  }

  /** @return the settings this system's nodes run, as templates */
  Map<String, String> settings() {
    return settings.apply(tuned);
  }

  /** @return the short name used by {@code --only} */
  String key() {
    return name().toLowerCase().replace('_', '-');
  }
}
