package dev.cloister.bench.peers;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Pekko Cluster node with its defaults and the split-brain resolver as downing provider, joined
 * through the three nodes as seed nodes. Its members are those that are up: added on
 * {@code MemberUp} (or {@code MemberWeaklyUp}), removed on {@code MemberRemoved}.
 */
public final class PekkoNode {

  /** The actor system's name, part of every node address. */
  static final String SYSTEM = "peers";

  private PekkoNode() {
  }

  /**
   * The settings: HOCON paths over Pekko's reference configuration.
   *
   * @param tuned whether to shorten the split-brain resolver's stable-after to what Pekko's
   *     documentation recommends as the minimum for clusters of up to 5 nodes
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("pekko.actor.provider", "cluster");
    s.put("pekko.remote.artery.canonical.hostname", "\"127.0.0.1\"");
    s.put("pekko.remote.artery.canonical.port", "{port}");
    s.put("pekko.cluster.seed-nodes", "[{seeds:\"pekko://" + SYSTEM + "@127.0.0.1:%d\"}]");
    s.put("pekko.cluster.downing-provider-class", "\"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"");
    s.put("pekko.loglevel", "WARNING");
    if (tuned) {
      s.put("pekko.cluster.split-brain-resolver.stable-after", "7s");
    }
    return s;
  }

  private static Behavior<ClusterEvent.MemberEvent> members() {
    return Behaviors.setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberEvent.class));
      Set<String> up = new TreeSet<>();
      return Behaviors.receiveMessage(event -> {
        String address = event.member().address().toString();
        if (event instanceof ClusterEvent.MemberUp || event instanceof ClusterEvent.MemberWeaklyUp) {
          up.add(address);
        } else if (event instanceof ClusterEvent.MemberRemoved) {
          up.remove(address);
        }
        NodeOutput.members(up);
        return Behaviors.same();
      });
    });
  }

  /**
   * Starts the node.
   *
   * @param args see {@link NodeArgs#parse}
   */
  public static void main(String[] args) {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    ActorSystem<?> system = system(a.expand(settings(a.tuned())));
    NodeOutput.commands(() -> leave(system));
  }

  /**
   * Starts the actor system, which joins the cluster and prints its members, and prints its id.
   *
   * @param settings expanded settings, over Pekko's reference configuration
   * @return the actor system
   */
  static ActorSystem<?> system(Map<String, String> settings) {
    StringBuilder hocon = new StringBuilder();
    settings.forEach((k, v) -> hocon.append(k).append(" = ").append(v).append('\n'));
    Config config = ConfigFactory.parseString(hocon.toString()).withFallback(ConfigFactory.load());
    ActorSystem<ClusterEvent.MemberEvent> system = ActorSystem.create(members(), SYSTEM, config);
    NodeOutput.self(Cluster.get(system).selfMember().address().toString());
    return system;
  }

  /**
   * Leaves gracefully, prints {@code left} and exits.
   *
   * @param system the node's actor system
   */
  static void leave(ActorSystem<?> system) {
    // Coordinated shutdown is Pekko's graceful leave: the node leaves, is removed, then stops.
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()).thenAccept(NodeOutput::exitAfterLeave);
  }
}
