package dev.cloister.bench.peers;

import java.util.Map;
import java.util.function.Function;

/**
 * The systems compared, each a node main and its settings: those of the membership scenarios (a)
 * to (d), and those of the sharding scenario (e), whose {@link #membership} tells how a node counts
 * its entities.
 */
enum Peer {
  CLOISTER("Cloister (defaults)", CloisterNode.class, false, CloisterNode::settings,
    "READY state's members (ring installed)", "`vertx.close()` (undeploys the Cloister: its record goes first)", false),
  HAZELCAST("Hazelcast 5.7 (defaults)", HazelcastNode.class, false, HazelcastNode::settings,
    "membership listener's member set", "`HazelcastInstance.shutdown()` (graceful)", false),
  HAZELCAST_TUNED("Hazelcast 5.7 (tuned failure detection)", HazelcastNode.class, true, HazelcastNode::settings,
    "membership listener's member set", "`HazelcastInstance.shutdown()` (graceful)", false),
  PEKKO("Pekko Cluster 1.7 (defaults + split-brain resolver)", PekkoNode.class, false, PekkoNode::settings,
    "members Up, until MemberRemoved", "`CoordinatedShutdown.runAll` (leave, exiting, removed)", false),
  PEKKO_TUNED("Pekko Cluster 1.7 (tuned split-brain resolver)", PekkoNode.class, true, PekkoNode::settings,
    "members Up, until MemberRemoved", "`CoordinatedShutdown.runAll` (leave, exiting, removed)", false),
  INFINISPAN("bare vertx-infinispan (default stack)", InfinispanNode.class, false, InfinispanNode::settings,
    "Infinispan cluster view (JGroups)", "`vertx.close()` (cache manager stops, JGroups leaves)", false),
  CLOISTER_WORKERS("Cloister sharded workers (defaults, tick 0)", CloisterWorkersNode.class, false,
    CloisterWorkersNode::settings, "worker `start` … `stop`",
    "`vertx.close()` (the set hands its keys off, then the Cloister leaves)", true),
  PEKKO_SHARDING("Pekko Cluster Sharding 1.7 (remember-entities, defaults)", PekkoShardingNode.class, false,
    PekkoShardingNode::settings, "entity actor started … `PostStop`",
    "`CoordinatedShutdown.runAll` (hands its shards off, then leaves)", true),
  PEKKO_SHARDING_TUNED("Pekko Cluster Sharding 1.7 (remember-entities, rebalance limits)", PekkoShardingNode.class,
    true, PekkoShardingNode::settings, "entity actor started … `PostStop`",
    "`CoordinatedShutdown.runAll` (hands its shards off, then leaves)", true);

  final String label;
  final Class<?> main;
  final boolean tuned;
  final Function<Boolean, Map<String, String>> settings;
  final String membership;
  final String leave;
  final boolean sharding;

  Peer(String label, Class<?> main, boolean tuned, Function<Boolean, Map<String, String>> settings,
       String membership, String leave, boolean sharding) {
    this.label = label;
    this.main = main;
    this.tuned = tuned;
    this.settings = settings;
    this.membership = membership;
    this.leave = leave;
    this.sharding = sharding;
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
