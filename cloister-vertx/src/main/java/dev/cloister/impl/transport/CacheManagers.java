package dev.cloister.impl.transport;

import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.conflict.MergePolicy;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.configuration.parsing.ConfigurationBuilderHolder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.partitionhandling.PartitionHandling;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;

/**
 * Builds the Infinispan cache manager that vertx-infinispan runs on, with the caches it expects
 * and Cloister's members cache, over a channel of {@link JGroupsStack}.
 */
public final class CacheManagers {

  /** Cloister's replicated cache of member records. */
  public static final String MEMBERS_CACHE = "__cloister.members";

  private CacheManagers() {
  }

  /**
   * How long a replicated write waits for a replica's answer, or a replica for the topology a write
   * carries, ms (Infinispan's default is 15 s). The primary owner holds the key's lock meanwhile,
   * so every later write of the record waits behind it: after heals on the real-network rig, nodes
   * could not write their records for 20 s and more, in cycles of 15 s timeouts. A write that fails
   * is tried again by its writer; one that waits holds everybody.
   */
  public static final long REMOTE_TIMEOUT_MS = 5_000;

  /**
   * {@link #REMOTE_TIMEOUT_MS} for the members cache, ms. Right after a heal a write or purge of a
   * record issued in the view before the merge waits for answers that will not come (the other side
   * drops them as from a non-member) and holds the record's lock meanwhile: the merged view's
   * write of that record, which the others wait for before they count its node, lands only after
   * it. On the real-network rig nodes followed a merged view within 0.1 to 0.8 s, but after 2.6
   * to 3.0 s in about one run of three (each such case looked at was behind a write from the old
   * view), and past the rig's 3 s bound once.
   * A record write is one round trip to the primary owner and one to the replicas: 3 s is more
   * than three times the 800 ms that two round trips take under 200 ms ± 50 ms one-way delay, and
   * a write that times out is written again from a fresh read.
   */
  public static final long MEMBERS_REMOTE_TIMEOUT_MS = 3_000;

  /**
   * Infinispan's timeout for cluster-wide topology operations, ms (default 240 s). A new
   * coordinator, or one after a merge, asks every member for its caches' status and waits a tenth
   * of it for the answers before trying again, and no cache topology changes meanwhile. On the
   * real-network rig a cut healed while its views were still forming: the other side's coordinator
   * asked a node that had not installed its view yet, which dropped the request as from a
   * non-member, and every cache waited out the 24 s attempt; writes to the member records failed
   * for those 19 s after the merge, and the majority, waiting for the records of the members back
   * in its view, was not quorate. A tenth of 50 s retries after 5 s.
   */
  public static final long CLUSTER_SYNC_TIMEOUT_MS = 50_000;

  /**
   * Segments of the caches reconciled after a merge (the members cache, a worker set's caches);
   * Infinispan's default is 256. Its conflict resolution, which runs on the coordinator once split
   * views merge, fetches every replica of one segment after the other, and the cache's topology
   * waits until it ends: on the real-network rig the members cache's took 1.10 and 0.74 s with 256
   * segments, 0.49 and 0.36 s with 16. A replicated cache holds every entry on every node whatever
   * the count; segments only spread the primary copies (which order the writes) over the members,
   * and 16 still give each of a dozen members some.
   */
  public static final int MERGED_SEGMENTS = 16;

  /**
   * JBoss Threads' switch for registering each of its thread pools as a JMX bean. Infinispan's
   * thread pools are JBoss Threads executors, and they register their beans whether or not
   * Infinispan's own JMX is on: the first one started loads the JVM's platform MBean server, some
   * 300 classes of JMX and of the JVM's management beans that nothing here reads (about 5 MiB of
   * an idle node's RSS, measured). Cloister keeps Infinispan's JMX off, so it sets this to
   * {@code false} too, unless the application set it.
   */
  public static final String THREAD_POOL_BEANS = "jboss.threads.eqe.register-mbean";

  /**
   * An unstarted cache manager; the cluster manager starts it on join and stops it on leave.
   *
   * @param channel an unconnected channel
   * @param clusterName the JGroups cluster name; nodes of other clusters never see each other
   * @return the cache manager
   */
  public static DefaultCacheManager create(JChannel channel, String clusterName) {
    return create(channel, clusterName, true);
  }

  /**
   * An unstarted cache manager, with or without Infinispan's own JVM shutdown hook.
   *
   * @param channel an unconnected channel
   * @param clusterName the JGroups cluster name; nodes of other clusters never see each other
   * @param infinispanHook whether Infinispan registers its hook, which stops the cache manager on
   *     JVM shutdown; off when Cloister's hook leaves gracefully and then closes Vert.x (which
   *     stops it), as both running at once would stop the cache under the graceful leave
   * @return the cache manager
   */
  public static DefaultCacheManager create(JChannel channel, String clusterName, boolean infinispanHook) {
    ClassLoader loader = CacheManagers.class.getClassLoader();
    ConfigurationBuilderHolder holder = new ConfigurationBuilderHolder(loader);
    GlobalConfigurationBuilder global = holder.getGlobalConfigurationBuilder();
    global.classLoader(loader);
    global.transport().transport(new JGroupsTransport(channel)).clusterName(clusterName)
      .distributedSyncTimeout(CLUSTER_SYNC_TIMEOUT_MS);
    global.jmx().enabled(false);
    noThreadPoolBeans();
    if (!infinispanHook) {
      global.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER);
    }
    for (String name : new String[]{"__vertx.subs", "__vertx.haInfo", "__vertx.nodeInfo"}) {
      replicated(holder.newConfigurationBuilder(name));
    }
    members(holder.newConfigurationBuilder(MEMBERS_CACHE));
    holder.newConfigurationBuilder("__vertx.distributed.cache.configuration")
      .template(true).clustering().cacheMode(CacheMode.DIST_SYNC);
    return new DefaultCacheManager(holder, false);
  }

  /**
   * Makes {@code builder} the members cache: synchronously replicated, and reconciled when split
   * views merge. Infinispan's default merge policy ({@code NONE}) leaves each side's replica as it
   * was, so after a partition heals each side would keep seeing only its own records (measured: a
   * 3 + 2 split healed into one JGroups view of five while the majority listed three members and
   * the minority two, indefinitely). {@code PREFERRED_NON_NULL} keeps the larger side's value of a
   * record and takes the other side's records that the larger side does not have, which are exactly
   * the other side's live members (each side purged the nodes it lost). Its writes give up after
   * {@link #MEMBERS_REMOTE_TIMEOUT_MS}.
   *
   * @param builder a cache configuration builder
   * @return the builder
   */
  public static ConfigurationBuilder members(ConfigurationBuilder builder) {
    reconciled(builder).clustering().remoteTimeout(MEMBERS_REMOTE_TIMEOUT_MS);
    return builder;
  }

  private static ConfigurationBuilder reconciled(ConfigurationBuilder builder) {
    replicated(builder).clustering().hash().numSegments(MERGED_SEGMENTS)
      .partitionHandling().whenSplit(PartitionHandling.ALLOW_READ_WRITES).mergePolicy(MergePolicy.PREFERRED_NON_NULL);
    return builder;
  }

  /**
   * Makes {@code builder} a cache of a sharded worker set (its keys, its cells' leases or its
   * nodes): replicated synchronously, so a write has reached every node of the set when it
   * completes, and reconciled after a partition like the members cache, the larger side's value
   * winning. Entries are stored as the objects written (the set's scans read the data container).
   *
   * @param builder a cache configuration builder
   * @return the builder
   */
  public static ConfigurationBuilder workers(ConfigurationBuilder builder) {
    reconciled(builder).encoding().mediaType(MediaType.APPLICATION_OBJECT_TYPE);
    return builder;
  }

  /**
   * Turns off the JMX beans of Infinispan's thread pools ({@link #THREAD_POOL_BEANS}) unless the
   * application chose; effective when it runs before the first of those pools is made in the JVM.
   */
  static void noThreadPoolBeans() {
    if (System.getProperty(THREAD_POOL_BEANS) == null) {
      System.setProperty(THREAD_POOL_BEANS, "false");
    }
  }

  /**
   * Makes {@code builder} a worker set's cache on a node of one ({@link LocalCaches}): local, its
   * entries stored as the objects written, as in {@link #workers}.
   *
   * @param builder a cache configuration builder
   * @return the builder
   */
  public static ConfigurationBuilder localWorkers(ConfigurationBuilder builder) {
    builder.clustering().cacheMode(CacheMode.LOCAL);
    builder.encoding().mediaType(MediaType.APPLICATION_OBJECT_TYPE);
    return builder;
  }

  /**
   * Makes {@code builder} a synchronously replicated cache, whose writes give up on a silent
   * replica after {@link #REMOTE_TIMEOUT_MS}.
   *
   * @param builder a cache configuration builder
   * @return the builder
   */
  public static ConfigurationBuilder replicated(ConfigurationBuilder builder) {
    builder.clustering().cacheMode(CacheMode.REPL_SYNC).remoteTimeout(REMOTE_TIMEOUT_MS);
    return builder;
  }
}
