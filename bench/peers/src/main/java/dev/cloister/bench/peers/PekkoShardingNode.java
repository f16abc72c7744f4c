package dev.cloister.bench.peers;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link PekkoNode} that also runs Cluster Sharding with remember-entities on: each entity actor
 * counts its start and its stop ({@link EntityCount}) and answers every message with {@code Done}.
 * Entities are created by one message each from this node, once every node's shard region is
 * registered with the coordinator; a graceful leave is coordinated shutdown, whose first phases
 * hand the node's shards off before it leaves the cluster. With remember-entities the coordinator
 * allocates the handed-off shards again at once and their new regions start every remembered entity
 * without waiting for a message.
 */
public final class PekkoShardingNode {

  /**
   * The entities' messages are the reply-to references themselves: Pekko serializes typed actor
   * references and {@code Done} with its own serializers, so no message class needs one.
   */
  @SuppressWarnings("unchecked")
  private static final EntityTypeKey<ActorRef<Done>> TYPE =
    EntityTypeKey.create((Class<ActorRef<Done>>) (Class<?>) ActorRef.class, "entity");

  /** How long node 0 waits for an entity's answer before it sends the message again. */
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(3);

  private PekkoShardingNode() {
  }

  /**
   * The settings: {@link PekkoNode}'s defaults (split-brain resolver) plus remember-entities in the
   * distributed-data store, not durable; sharding's defaults otherwise (1000 shards).
   *
   * @param tuned whether to enable the least-shard allocation strategy's newer rebalance algorithm
   *     with the limits its reference configuration gives as the example (20 shards per round,
   *     and the default 10 % relative limit)
   * @return the settings, templates as values (see {@link NodeArgs})
   */
  static Map<String, String> settings(boolean tuned) {
    Map<String, String> s = new LinkedHashMap<>(PekkoNode.settings(false));
    s.put("pekko.cluster.sharding.remember-entities", "on");
    s.put("pekko.cluster.sharding.remember-entities-store", "ddata");
    s.put("pekko.cluster.sharding.distributed-data.durable.keys", "[]");
    if (tuned) {
      s.put("pekko.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit", "20");
      s.put("pekko.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit", "0.1");
    }
    return s;
  }

  private static Behavior<ActorRef<Done>> entity(EntityCount count) {
    return Behaviors.setup(ctx -> {
      count.started();
      return Behaviors.receive((c, replyTo) -> {
        replyTo.tell(Done.getInstance());
        return Behaviors.same();
      }, (c, signal) -> {
        if (signal instanceof PostStop) {
          count.stopped();
        }
        return Behaviors.same();
      });
    });
  }

  /**
   * Starts the node and its shard region.
   *
   * @param args see {@link NodeArgs#parse}
   */
  public static void main(String[] args) {
    NodeOutput.quietLogging();
    NodeArgs a = NodeArgs.parse(args);
    ActorSystem<?> system = PekkoNode.system(a.expand(settings(a.tuned())));
    EntityCount count = new EntityCount();
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(TYPE, ctx -> entity(count)));
    count.report();
    int nodes = a.ports().size();
    NodeOutput.commands(() -> PekkoNode.leave(system),
      n -> EntityLoad.run(n, () -> regions(system, sharding) == nodes,
        i -> sharding.entityRefFor(TYPE, EntityLoad.id(i)).<Done>ask(replyTo -> replyTo, ASK_TIMEOUT)));
  }

  /** @return how many shard regions the coordinator knows; 0 when it does not answer in time */
  private static int regions(ActorSystem<?> system, ClusterSharding sharding) {
    try {
      ShardRegion.ClusterShardingStats stats = AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(sharding.shardState(),
          replyTo -> new GetClusterShardingStats(TYPE, STATS_TIMEOUT, replyTo), STATS_TIMEOUT.plusSeconds(1),
          system.scheduler())
        .toCompletableFuture().get(STATS_TIMEOUT.plusSeconds(2).toMillis(), TimeUnit.MILLISECONDS);
      return stats.getRegions().size();
    } catch (ExecutionException | TimeoutException notYet) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}
