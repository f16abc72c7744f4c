package dev.cloister.impl.membership;

import dev.cloister.CloisterException;
import dev.cloister.impl.transport.CacheManagers;
import dev.cloister.impl.transport.LivenessWatch;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import org.infinispan.AdvancedCache;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.context.Flag;
import org.infinispan.distribution.DistributionManager;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryCreated;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryModified;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryRemoved;
import org.infinispan.notifications.cachelistener.annotation.TopologyChanged;
import org.infinispan.notifications.cachelistener.event.CacheEntryCreatedEvent;
import org.infinispan.notifications.cachelistener.event.CacheEntryModifiedEvent;
import org.infinispan.notifications.cachelistener.event.CacheEntryRemovedEvent;
import org.infinispan.notifications.cachelistener.event.TopologyChangedEvent;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.MergeEvent;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;
import org.infinispan.util.concurrent.TimeoutException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The replicated cache of member records and the cluster view, as seen by one node.
 *
 * <p>Every method but the asynchronous writes blocks: call them on a worker thread. The two
 * callbacks run on Infinispan's threads, within its listener notifications: the caller hops to
 * its own context and does nothing else there.
 */
public final class MembersCache {

  private static final Logger log = LoggerFactory.getLogger(MembersCache.class);
  /** How often a claim looks again at a name held by a node in the view. */
  private static final long CLAIM_RETRY_MS = 200;
  /** Bound on the invalid entries remembered as already reported. */
  private static final int MAX_WARNED = 10_000;

  private final EmbeddedCacheManager manager;
  private final AdvancedCache<String, String> cache;
  private final EntryWatcher entryWatcher;
  private final ViewWatcher viewWatcher;
  private final Set<String> warned = new HashSet<>();
  private final LivenessWatch liveness;
  private final Runnable stopWatchingViews;

  private MembersCache(EmbeddedCacheManager manager, AdvancedCache<String, String> cache, Runnable onChange,
                       LivenessWatch liveness) {
    this.manager = manager;
    this.cache = cache;
    this.entryWatcher = new EntryWatcher(onChange);
    this.viewWatcher = new ViewWatcher(onChange);
    this.liveness = liveness;
    this.stopWatchingViews = liveness == null ? () -> { } : liveness.onView(onChange);
  }

  /**
   * Opens the members cache (defining it when the user built the cache manager) and starts
   * watching it and the cluster view.
   *
   * @param manager the joined cache manager
   * @param onChange called on any change of a record or of the view
   * @param liveness where the view is read as soon as JGroups installs it, or {@code null} to read
   *     it from the cache manager (a stack without Cloister's {@link LivenessWatch})
   * @return the open cache
   */
  public static MembersCache open(EmbeddedCacheManager manager, Runnable onChange, LivenessWatch liveness) {
    if (manager.getCacheConfiguration(CacheManagers.MEMBERS_CACHE) == null) {
      manager.defineConfiguration(CacheManagers.MEMBERS_CACHE,
        CacheManagers.members(new ConfigurationBuilder()).build());
    }
    AdvancedCache<String, String> cache = manager.<String, String>getCache(CacheManagers.MEMBERS_CACHE)
      .getAdvancedCache();
    MembersCache members = new MembersCache(manager, cache, onChange, liveness);
    manager.addListener(members.viewWatcher);
    cache.addListener(members.entryWatcher);
    return members;
  }

  /**
   * What this node sees now.
   *
   * @param records the valid records by name
   * @param raw the stored values by name, valid or not, for conditional removal
   * @param view the node ids of the current cluster view
   * @param viewId the id of that view, {@code -1} when unknown
   */
  public record Snapshot(Map<String, MemberRecord> records, Map<String, String> raw, Set<String> view, long viewId) {
  }

  /** @return the node ids of the current cluster view */
  public Set<String> view() {
    Set<String> installed = liveness == null ? null : liveness.view();
    if (installed != null) {
      return installed;
    }
    Set<String> view = new HashSet<>();
    List<Address> members = manager.getMembers();
    if (members != null) {
      members.forEach(a -> view.add(a.toString()));
    }
    return view;
  }

  /** @return the id of the current cluster view, {@code -1} when there is none */
  public long viewId() {
    if (liveness != null && liveness.viewId() >= 0) {
      return liveness.viewId();
    }
    return manager.getTransport() == null ? -1 : manager.getTransport().getViewId();
  }

  /** @return whether the cache manager's last view merged split views */
  public boolean afterMerge() {
    return viewWatcher.merged;
  }

  /**
   * The nodes a write of a record reaches in the cache's current topology. Not the cluster view:
   * after a merge the view has everyone at once, while the cache's topology takes in the other
   * side's nodes only later (after its own merge and conflict resolution); a write in between
   * reaches this side only.
   *
   * @param name the record's key
   * @return their node ids; the view's when the cache has no topology yet
   */
  public Set<String> writeOwners(String name) {
    DistributionManager dm = cache.getDistributionManager();
    LocalizedCacheTopology topology = dm == null ? null : dm.getCacheTopology();
    if (topology == null) {
      return view();
    }
    Set<String> out = new HashSet<>();
    topology.getWriteOwners(name).forEach(a -> out.add(a.toString()));
    return out;
  }

  /**
   * Reads every record from the local replica; a value that is not a valid record is skipped with
   * one warning per value.
   *
   * @return the snapshot
   */
  public Snapshot snapshot() {
    long viewId = viewId();
    Set<String> view = view();
    Map<String, String> raw = new HashMap<>();
    Map<String, MemberRecord> records = new HashMap<>();
    for (Map.Entry<String, String> e : cache.withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_LOCKING).entrySet()) {
      Object key = e.getKey();
      Object value = e.getValue();
      try {
        MemberRecord r = MemberRecord.decode(key, value);
        records.put(r.name(), r);
        raw.put(r.name(), (String) value);
      } catch (IllegalArgumentException | ClassCastException bad) {
        if (key instanceof String k && value instanceof String v) {
          raw.put(k, v);
        }
        // Remember a digest, not the value: hostile or huge values must not pile up in memory.
        if (warned.size() > MAX_WARNED) {
          warned.clear();
        }
        if (warned.add(abbreviate(key) + "#" + Objects.hashCode(value))) {
          log.warn("Ignoring an invalid member record under '" + abbreviate(key) + "': " + bad.getMessage());
        }
      }
    }
    return new Snapshot(records, raw, view, viewId);
  }

  /**
   * Writes this node's record under its name, unless a live node already holds the name; a record
   * left by a node that is no longer in the view is taken over.
   *
   * <p>A node restarted under its name often finds the record of its crashed predecessor, still in
   * the view until failure detection evicts it. So a holder in the view is given {@code graceMs} to
   * leave it before the claim fails: a crashed holder is gone by then, a live one is a real conflict.
   *
   * @param self this node's record
   * @param graceMs how long a holder in the view may take to leave it
   * @throws CloisterException with {@link CloisterException#CONFLICT} when the name is taken
   */
  public void claim(MemberRecord self, long graceMs) {
    String value = self.encode();
    long deadline = System.nanoTime() + graceMs * 1_000_000L;
    boolean waited = false;
    boolean timedOut = false;
    for (int lost = 0; lost < 10; ) {
      Object existing;
      try {
        // Untyped: a buggy or hostile peer may have stored anything under the name.
        existing = untyped().putIfAbsent(self.name(), value);
      } catch (TimeoutException e) {
        // A replica that stopped answering (a paused or crashed node still in the view) bounds the
        // write by the members cache's remote timeout: try again while the grace lasts.
        if (System.nanoTime() - deadline > 0) {
          throw new CloisterException(CloisterException.TIMEOUT, "Could not write node name '" + self.name()
            + "' to the members cache within " + graceMs + " ms: " + e.getMessage());
        }
        if (!timedOut) {
          timedOut = true;
          log.info("Writing node name '" + self.name() + "' timed out (" + e.getMessage() + "): trying again for up to "
            + graceMs + " ms");
        }
        pause();
        continue;
      }
      if (existing == null) {
        return;
      }
      String holder;
      try {
        holder = MemberRecord.decode(self.name(), existing).nodeId();
      } catch (IllegalArgumentException bad) {
        holder = null;
      }
      if (holder != null && !holder.equals(self.nodeId()) && view().contains(holder)) {
        if (System.nanoTime() - deadline > 0) {
          throw new CloisterException(CloisterException.CONFLICT, "Node name '" + self.name()
            + "' is already held by live cluster node " + holder + "; give this node another nodeName");
        }
        if (!waited) {
          waited = true;
          log.info("Node name '" + self.name() + "' is held by cluster node " + holder
            + ", maybe a crashed predecessor: waiting up to " + graceMs + " ms for it to leave the view");
        }
        pause();
        continue;
      }
      if (untyped().replace(self.name(), existing, value)) {
        return;
      }
      lost++;
    }
    throw new CloisterException(CloisterException.CONFLICT, "Node name '" + self.name()
      + "' kept changing hands while this node claimed it");
  }

  private static void pause() {
    try {
      Thread.sleep(CLAIM_RETRY_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CloisterException(CloisterException.CONFLICT, "Interrupted while claiming the node name");
    }
  }

  /**
   * Writes (or rewrites) a record.
   *
   * @param record the record
   * @return completes once replicated
   */
  public CompletionStage<?> write(MemberRecord record) {
    return cache.withFlags(Flag.IGNORE_RETURN_VALUES).putAsync(record.name(), record.encode());
  }

  /**
   * Removes a departed node's record, unless it changed meanwhile (the node came back), from every
   * replica and in any case from this node's.
   *
   * <p>The cluster-wide removal is conditional, and the key's primary owner alone decides it: it
   * misses a record that reached this replica but not the primary's, such as a write the departed
   * node had in flight when it vanished, applied here after the view changed. Each node then
   * removes what its own replica still holds, as long as the record's node is still out of the view.
   *
   * @param name the record's key
   * @param value the value seen
   * @param nodeId the node id in the record: a record of a node back in the view is kept
   * @return whether this call removed it from a replica; false when the value changed meanwhile
   */
  public CompletionStage<Boolean> purge(String name, String value, String nodeId) {
    return cache.removeAsync(name, value).thenCompose(removed -> removed || view().contains(nodeId)
      ? CompletableFuture.completedFuture(removed)
      : cache.withFlags(Flag.CACHE_MODE_LOCAL).removeAsync(name, value));
  }

  /**
   * Removes this node's record if it still holds it: the graceful leave.
   *
   * @param self this node's record
   */
  public void leave(MemberRecord self) {
    Object existing = untyped().get(self.name());
    if (existing != null) {
      try {
        if (self.nodeId().equals(MemberRecord.decode(self.name(), existing).nodeId())) {
          untyped().remove(self.name(), existing);
        }
      } catch (IllegalArgumentException bad) {
        untyped().remove(self.name(), existing);
      }
    }
  }

  /** Stops watching. */
  public void close() {
    stopWatchingViews.run();
    cache.removeListener(entryWatcher);
    manager.removeListener(viewWatcher);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private AdvancedCache<Object, Object> untyped() {
    return (AdvancedCache) cache;
  }

  private static String abbreviate(Object o) {
    String s = String.valueOf(o);
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  /**
   * Watches the records. Synchronous: Infinispan runs every asynchronous listener of a node on one
   * notification thread, which vertx-infinispan's handling of a view holds on the coordinator for
   * as long as its cache clean-ups take (over a minute on the real-network rig), and a node whose
   * membership waited behind it served a ring without a member that had joined meanwhile. The
   * callback only hands the event on to a Vert.x context.
   */
  @Listener
  public static final class EntryWatcher {
    private final Runnable onChange;

    EntryWatcher(Runnable onChange) {
      this.onChange = onChange;
    }

    /** @param e a created record */
    @CacheEntryCreated
    public void created(CacheEntryCreatedEvent<String, String> e) {
      onChange.run();
    }

    /** @param e a modified record */
    @CacheEntryModified
    public void modified(CacheEntryModifiedEvent<String, String> e) {
      onChange.run();
    }

    /** @param e a removed record */
    @CacheEntryRemoved
    public void removed(CacheEntryRemovedEvent<String, String> e) {
      onChange.run();
    }

    /**
     * Infinispan's conflict resolution after a merge rewrites the replicas without entry events:
     * the records of the other side appear silently, so the end of every topology change (the
     * merged one included) is a change too.
     *
     * @param e a new cache topology
     */
    @TopologyChanged
    public void topologyChanged(TopologyChangedEvent<String, String> e) {
      if (!e.isPre()) {
        onChange.run();
      }
    }
  }

  /** Watches the cluster view; synchronous, as {@link EntryWatcher}. */
  @Listener
  public static final class ViewWatcher {
    private final Runnable onChange;
    /** Whether the last view was a merge of split views. */
    private volatile boolean merged;

    ViewWatcher(Runnable onChange) {
      this.onChange = onChange;
    }

    /** @param e a new view */
    @ViewChanged
    public void viewChanged(ViewChangedEvent e) {
      merged = e.isMergeView();
      onChange.run();
    }

    /** @param e a merged view */
    @Merged
    public void merged(MergeEvent e) {
      merged = true;
      onChange.run();
    }
  }
}
