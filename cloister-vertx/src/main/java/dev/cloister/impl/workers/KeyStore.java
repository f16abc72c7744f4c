package dev.cloister.impl.workers;

import dev.cloister.impl.calls.CallProtocol;
import dev.cloister.impl.transport.CacheManagers;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.functional.FunctionalMap;
import org.infinispan.functional.impl.FunctionalMapImpl;
import org.infinispan.functional.impl.ReadWriteMapImpl;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.marshall.core.MarshallableFunctions;
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
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

/**
 * A worker set's replicated caches, as one node sees them: the keys (key to JSON payload), the
 * cells' leases (cell to {@link CellLease}) and the participants, plus the cluster view. Opening,
 * scanning and reading a cell's primary copy block (call them on a worker thread); the writes are
 * asynchronous and complete once replicated; the callbacks run on Infinispan's threads, so the
 * caller hops to its own context.
 */
final class KeyStore {

  /** The prefix of the keys cache's name; the leases cache adds {@code .leases}. */
  static final String PREFIX = "__cloister.workers.";
  /** The value a removal writes for a moment to reach every replica: no JSON object, so no payload. */
  static final String REMOVED = "\u0000removed";
  /** How long after a topology change of the keys cache a write counts as overlapping it, ms. */
  static final long OVERLAP_MS = 2_000;
  /** The nodes cache's keys of closed sets' records: never a node's name (see {@link #recordClosed}). */
  private static final String CLOSED = "\u0000closed:";

  private final EmbeddedCacheManager manager;
  private final AdvancedCache<String, String> keys;
  private final AdvancedCache<String, String> leases;
  /** The leases cache's functional view, to read a cell's lease from its primary copy. */
  private final FunctionalMap.ReadWriteMap<String, String> primaryLeases;
  private final AdvancedCache<String, String> nodes;
  /**
   * The caches' local replicas (no remote call, no lock). Made once: each {@code withFlags} builds
   * and wires a new decorated cache, which cost more than the read it served.
   */
  private final AdvancedCache<String, String> localKeys;
  private final AdvancedCache<String, String> localNodes;
  private final EntryWatcher keyWatcher;
  private final EntryWatcher nodeWatcher;
  private final EntryWatcher leaseWatcher;
  private final ViewWatcher viewWatcher;
  private final TopologyWatcher topologyWatcher = new TopologyWatcher();
  /** When (ms) this node last saw each holder (by node id) write one of its own leases. */
  private final Map<String, Long> holderWrites = new ConcurrentHashMap<>();

  private KeyStore(EmbeddedCacheManager manager, List<AdvancedCache<String, String>> caches,
                   BiConsumer<String, String> onKey, BiConsumer<String, String> onLease,
                   BiConsumer<String, String> onNode, BiConsumer<Set<String>, Set<String>> onView) {
    this.manager = manager;
    this.keys = caches.get(0);
    this.leases = caches.get(1);
    this.primaryLeases = ReadWriteMapImpl.create(FunctionalMapImpl.create(leases));
    this.nodes = caches.get(2);
    this.localKeys = local(keys);
    this.localNodes = local(nodes);
    this.keyWatcher = new EntryWatcher(onKey);
    this.nodeWatcher = new EntryWatcher(onNode);
    this.leaseWatcher = new EntryWatcher(onLease, this::noteLeaseWrite);
    this.viewWatcher = new ViewWatcher(onView);
  }

  /**
   * Opens (defining them when needed) the caches of set {@code name} and starts watching them and
   * the view. Blocks.
   *
   * @param manager the joined cache manager
   * @param name the set's name
   * @param onKey a key's new value, {@code null} when removed
   * @param onLease a cell lease's key (the cell's number) and new value
   * @param onNode an entry of the nodes cache changed (a node name and its announcement, or a closed
   *     set's record), {@code null} when removed
   * @param onView on each view: the node ids that left it, and its members
   * @return the store
   */
  static KeyStore open(EmbeddedCacheManager manager, String name, BiConsumer<String, String> onKey,
                       BiConsumer<String, String> onLease, BiConsumer<String, String> onNode,
                       BiConsumer<Set<String>, Set<String>> onView) {
    String keysName = PREFIX + name;
    List<AdvancedCache<String, String>> caches = new ArrayList<>();
    for (String cache : List.of(keysName, keysName + ".leases", keysName + ".nodes")) {
      if (manager.getCacheConfiguration(cache) == null) {
        ConfigurationBuilder config = new ConfigurationBuilder();
        manager.defineConfiguration(cache, (clustered(manager) ? CacheManagers.workers(config)
          : CacheManagers.localWorkers(config)).build());
      }
      AdvancedCache<String, String> c = manager.<String, String>getCache(cache).getAdvancedCache();
      if (!c.getKeyDataConversion().getStorageMediaType().match(MediaType.APPLICATION_OBJECT)
        || !c.getValueDataConversion().getStorageMediaType().match(MediaType.APPLICATION_OBJECT)) {
        throw new IllegalStateException("Cache '" + cache + "' must store its entries as objects ("
          + MediaType.APPLICATION_OBJECT_TYPE + "): a configuration of that name defines another encoding");
      }
      caches.add(c);
    }
    KeyStore store = new KeyStore(manager, caches, onKey, onLease, onNode, onView);
    // The view first: a node that leaves between the two must still be seen leaving.
    manager.addListener(store.viewWatcher);
    store.keys.addListener(store.topologyWatcher);
    store.keys.addListener(store.keyWatcher);
    store.leases.addListener(store.leaseWatcher);
    store.nodes.addListener(store.nodeWatcher);
    return store;
  }

  /**
   * The nodes that run the set, as announced: node name to the lease it would hold now (its
   * cluster node id and current token). Blocks (briefly: a read of the local replica, one entry per
   * node).
   *
   * @return the announcements
   */
  Map<String, Lease> participants() {
    Map<String, Lease> out = new HashMap<>();
    for (Map.Entry<String, String> e : localNodes.entrySet()) {
      Lease as = announced(e.getValue());
      if (e.getKey() != null && as != null) {
        out.put(e.getKey(), as);
      }
    }
    return out;
  }

  /**
   * @param value an entry of the nodes cache
   * @return the lease it announces, or null when it is not one
   */
  static Lease announced(String value) {
    Lease as = Lease.decode(value);
    return as == null || as.moving() ? null : as;
  }

  /**
   * Announces that this node runs the set (again, with a new token, after a quorum loss).
   *
   * @param nodeName this node's name
   * @param announcement the lease it would hold now, as stored
   */
  CompletableFuture<String> join(String nodeName, String announcement) {
    return nodes.putAsync(nodeName, announcement);
  }

  /** Withdraws this node's announcement, if it is still this node's. */
  CompletableFuture<Boolean> withdraw(String nodeName, String announcement) {
    return nodes.removeAsync(nodeName, announcement);
  }

  /**
   * Records that a closed set ran its last key with a lease: a segment that still names it was
   * handed to this node after its close looked at its cells, and is free to take. Kept under the
   * node id (one entry per node id, until it leaves the view), next to the announcements.
   *
   * @param lease the lease the set held, with the token it closed with
   */
  CompletableFuture<String> recordClosed(Lease lease) {
    return nodes.putAsync(CLOSED + lease.nodeId(), lease.token());
  }

  /**
   * @param lease a lease seen in a cell
   * @return whether its holder's set closed with its token (a read of the local replica)
   */
  boolean closedWith(Lease lease) {
    return lease.token().equals(localNodes.get(CLOSED + lease.nodeId()));
  }

  /**
   * @param key a key of the nodes cache
   * @return whether it records a closed set ({@link #recordClosed}) rather than an announcement
   */
  static boolean isClosedRecord(String key) {
    return key.startsWith(CLOSED);
  }

  /** Forgets the closed set of a node id that left the view: its segments are fenced from now on. */
  void forgetClosed(String nodeId) {
    if (localNodes.containsKey(CLOSED + nodeId)) {
      nodes.removeAsync(CLOSED + nodeId);
    }
  }

  /** @return this node's cluster node id; on a node of one, the id its Cloister gives itself */
  String selfId() {
    return clustered(manager) ? String.valueOf(manager.getAddress()) : CallProtocol.UNCLUSTERED_NODE_ID;
  }

  /** @return the node ids of the current cluster view; on a node of one, this node */
  Set<String> view() {
    Set<String> view = new HashSet<>();
    if (!clustered(manager)) {
      view.add(selfId());
      return view;
    }
    List<Address> members = manager.getMembers();
    if (members != null) {
      members.forEach(a -> view.add(a.toString()));
    }
    return view;
  }

  /** @return whether the caches are a cluster's (else a node of one's, see {@link dev.cloister.impl.transport.LocalCaches}) */
  private static boolean clustered(EmbeddedCacheManager manager) {
    return manager.getCacheManagerConfiguration().isClustered();
  }

  /**
   * What a scan of the local replica found.
   *
   * @param payloads the kept keys with their payloads
   * @param markers keys held as a removal marker only (see {@link #dropMarker})
   */
  record Scanned(List<Map.Entry<String, String>> payloads, List<String> markers) {
  }

  /**
   * The keys of the local replica that {@code keep} keeps, with their payloads, and, in the same
   * pass, up to {@code maxMarkers} keys held as a removal marker only. Blocks. Only the kept keys
   * are listed: a sweep of a million keys that keeps none allocates nothing per key.
   *
   * @param maxMarkers the most markers to list
   * @param keep sees every key with its payload, and says whether to list it
   * @return what it found
   */
  Scanned scan(int maxMarkers, BiPredicate<String, String> keep) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    List<String> markers = new ArrayList<>();
    for (InternalCacheEntry<String, String> e : keys.getDataContainer()) {
      String key = e.getKey();
      String value = e.getValue();
      if (key == null || value == null) {
        continue;
      }
      if (visible(value) != null) {
        if (keep.test(key, value)) {
          out.add(Map.entry(key, value));
        }
      } else if (markers.size() < maxMarkers) {
        markers.add(key);
      }
    }
    return new Scanned(out, markers);
  }

  /**
   * A key's payload in the local replica.
   *
   * @param key the key
   * @return its payload, or {@code null}
   */
  String payload(String key) {
    InternalCacheEntry<String, String> e = keys.getDataContainer().peek(key);
    return e == null ? null : visible(e.getValue());
  }

  CompletableFuture<String> putPayload(String key, String payload) {
    long issued = System.nanoTime();
    return keys.putAsync(key, payload).thenCompose(prev -> reassertIfOverlapped(issued, key, payload, prev));
  }

  CompletableFuture<String> putPayloadIfAbsent(String key, String payload) {
    long issued = System.nanoTime();
    return keys.putIfAbsentAsync(key, payload).thenCompose(prev -> {
      if (REMOVED.equals(prev)) {
        // A removal's marker, there for a moment (or left by a node that died in between): no payload.
        // When it is gone before the replace (its removal's second write, or the sweep took it), the
        // key is free: put once more rather than report a payload that is not there.
        return keys.replaceAsync(key, REMOVED, payload).thenCompose(took -> took ? CompletableFuture.completedFuture(null)
          : keys.putIfAbsentAsync(key, payload).thenApply(again -> REMOVED.equals(again) ? payload : again));
      }
      return prev != null ? CompletableFuture.completedFuture(prev) : reassertIfOverlapped(issued, key, payload, null);
    });
  }

  /** Writes a payload only where the key still exists: a hand-off never brings a deleted key back. */
  CompletableFuture<String> replacePayload(String key, String payload) {
    long issued = System.nanoTime();
    return keys.replaceAsync(key, payload).thenCompose(prev -> {
      if (REMOVED.equals(prev)) {
        // The key was being removed: it stays removed.
        return removeEverywhere(key, payload).thenApply(x -> null);
      }
      return prev == null ? CompletableFuture.completedFuture(null) : reassertIfOverlapped(issued, key, payload, prev);
    });
  }

  /**
   * Removes a key from every replica. Infinispan's writes to a cache without transactions can land
   * on some replicas only when the cache's topology changes under them (a write retried on a new
   * primary copy that already has its outcome reaches no backup); measured here: processed
   * messages left stored in one or two replicas after a node left, run again on every sweep and
   * never removed, because a removal the primary copy finds nothing to do for reaches no backup
   * either. So when the removal overlapped a topology change, or the primary copy held nothing
   * while this replica held the key, the key is written once more as a marker that every replica
   * takes (no listener hears it) and removed again: both reach every replica.
   *
   * @param key the key
   * @return the payload the primary copy held, or {@code null}
   */
  CompletableFuture<String> removePayload(String key) {
    long issued = System.nanoTime();
    boolean heldHere = localKeys.containsKey(key);
    return keys.removeAsync(key).thenApply(KeyStore::visible).thenCompose(prev -> {
      boolean disagree = prev == null && heldHere;
      if (!disagree && !overlapped(issued)) {
        return CompletableFuture.completedFuture(prev);
      }
      return removeEverywhere(key, null).thenApply(x -> prev);
    });
  }

  /**
   * Has every replica agree with the primary copy on a key this replica holds with {@code value}:
   * where the primary copy holds the same, it is written again as it is (every replica takes it, and
   * its owner hears of it); where the primary copy holds nothing, the key is removed from every
   * replica as {@link #removePayload} does. A primary copy holding another value is left alone.
   *
   * @param key the key
   * @param value the payload this replica holds
   * @return whether the primary copy held the same
   */
  CompletableFuture<Boolean> settle(String key, String value) {
    return keys.replaceAsync(key, value, value).thenCompose(same -> same ? CompletableFuture.completedFuture(true)
      : removeEverywhere(key, null).thenApply(x -> false));
  }

  /**
   * Where the primary copy holds no payload for the key ({@code expected} null) or holds
   * {@code expected}, writes the removal marker (every replica takes it, no listener hears it) and
   * removes it again (every replica takes that too). Another payload put meanwhile stays.
   */
  private CompletableFuture<Void> removeEverywhere(String key, String expected) {
    CompletableFuture<Boolean> marked = expected == null
      ? keys.withFlags(Flag.SKIP_LISTENER_NOTIFICATION).putIfAbsentAsync(key, REMOVED).thenApply(there -> there == null)
      : keys.withFlags(Flag.SKIP_LISTENER_NOTIFICATION).replaceAsync(key, expected, REMOVED);
    return marked.thenCompose(ok -> ok ? keys.removeAsync(key, REMOVED).thenApply(x -> null)
      : CompletableFuture.completedFuture(null));
  }

  /**
   * After a write that overlapped a topology change, writes the same value again where the primary
   * copy holds it: a conditional replace the primary decides and every replica takes (see
   * {@link #removePayload}).
   */
  private CompletableFuture<String> reassertIfOverlapped(long issued, String key, String payload, String result) {
    if (!overlapped(issued)) {
      return CompletableFuture.completedFuture(result);
    }
    return keys.replaceAsync(key, payload, payload).thenApply(x -> result);
  }

  /** Whether the keys cache's topology changed less than {@link #OVERLAP_MS} before {@code issued}, or since. */
  private boolean overlapped(long issued) {
    long changed = topologyWatcher.changedAt;
    return changed != 0 && changed - issued > -OVERLAP_MS * 1_000_000L;
  }

  CompletableFuture<String> getPayload(String key) {
    return localKeys.getAsync(key).thenApply(KeyStore::visible);
  }

  /** A payload as readers see it: the removal marker is no payload. */
  private static String visible(String payload) {
    return REMOVED.equals(payload) ? null : payload;
  }

  /**
   * How many keys this replica holds, removal markers left out (a marker a removal could not take
   * away again is no key); blocks: a scan of the replica.
   *
   * @return the count
   */
  long size() {
    long n = 0;
    for (InternalCacheEntry<String, String> e : keys.getDataContainer()) {
      if (visible(e.getValue()) != null) {
        n++;
      }
    }
    return n;
  }

  /**
   * Removes a removal marker left behind, from every replica, unless a payload replaced it. A
   * marker lives for the moment between the two writes of {@link #removeEverywhere}; one whose
   * second write failed (a topology change under it) would stay for good.
   *
   * @param key the key
   * @return whether a marker was removed
   */
  CompletableFuture<Boolean> dropMarker(String key) {
    return keys.withFlags(Flag.SKIP_LISTENER_NOTIFICATION).removeAsync(key, REMOVED);
  }

  /** @return a cell's key in the leases cache */
  static String cellKey(int cell) {
    return Integer.toString(cell);
  }

  /**
   * A cell's lease in the local replica, read from its data container as the payloads are (a
   * rebalance reads a cell for each key it moves).
   *
   * @param cell the cell
   * @return the stored lease, or {@code null}
   */
  String cell(int cell) {
    InternalCacheEntry<String, String> e = leases.getDataContainer().peek(cellKey(cell));
    return e == null ? null : e.getValue();
  }

  /**
   * Writes a cell's lease where it still has the value seen ({@code null}: none yet), as its
   * primary copy decides.
   *
   * @return whether it was written
   */
  CompletableFuture<Boolean> replaceCell(int cell, String seen, String next) {
    String key = cellKey(cell);
    return seen == null ? leases.putIfAbsentAsync(key, next).thenApply(prev -> prev == null)
      : leases.replaceAsync(key, seen, next);
  }

  /**
   * A cell's lease as its primary copy holds it: after a refused write, this replica may be stale
   * (after a merge, a paused node's replica kept values the others had changed since). Blocks.
   *
   * @param cell the cell
   * @return the stored lease, or {@code null}
   */
  String primaryCell(int cell) {
    return primaryLeases.eval(cellKey(cell), MarshallableFunctions.<String, String>returnReadWriteFind()).join()
      .orElse(null);
  }

  /**
   * When this node last saw a holder at work on its leases: taking a free one, marking one as
   * handing off, releasing one. A holder with thousands of keys to hand off releases them over
   * seconds; while it does, it is not silent, and the others wait for its releases instead of
   * taking the leases it has not come to yet.
   *
   * @param nodeId the holder's cluster node id
   * @return the time in ms ({@link SetState#now()}'s clock), or -1 when never seen
   */
  long holderWroteAt(String nodeId) {
    return holderWrites.getOrDefault(nodeId, -1L);
  }

  /** A cell's lease changed to {@code after}: its writer is at work. */
  private void noteLeaseWrite(String before, String after) {
    int bar = after == null ? -1 : after.indexOf('|');
    int slash = bar < 0 ? -1 : after.lastIndexOf('/', bar);
    if (slash > 0) {
      holderWrites.put(after.substring(0, slash), SetState.now());
    }
  }

  /** Stops watching; the caches stay (other nodes of the set use them). */
  void close() {
    keys.removeListener(keyWatcher);
    keys.removeListener(topologyWatcher);
    leases.removeListener(leaseWatcher);
    nodes.removeListener(nodeWatcher);
    manager.removeListener(viewWatcher);
  }

  private static AdvancedCache<String, String> local(AdvancedCache<String, String> cache) {
    return cache.withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_LOCKING);
  }

  /**
   * Watches one cache's entries. Synchronous, as the members cache's watcher: Infinispan runs every
   * asynchronous listener of a node on one notification thread, which vertx-infinispan's handling
   * of a view holds on the coordinator for as long as its cache clean-ups take (over a minute on
   * the real-network rig), and a set's keys and leases would wait behind it. The callback only
   * hands the event on to the set's context.
   */
  @Listener
  public static final class EntryWatcher {
    private final BiConsumer<String, String> onChange;
    private final BiConsumer<String, String> onWrite;

    EntryWatcher(BiConsumer<String, String> onChange) {
      this(onChange, (before, after) -> { });
    }

    /**
     * @param onChange the key and its new value ({@code null} when removed), handed on
     * @param onWrite the value before and after each write, on Infinispan's thread
     */
    EntryWatcher(BiConsumer<String, String> onChange, BiConsumer<String, String> onWrite) {
      this.onChange = onChange;
      this.onWrite = onWrite;
    }

    /** @param e a created entry */
    @CacheEntryCreated
    public void created(CacheEntryCreatedEvent<String, String> e) {
      if (!e.isPre()) {
        onWrite.accept(null, e.getValue());
        onChange.accept(e.getKey(), visible(e.getValue()));
      }
    }

    /** @param e a modified entry */
    @CacheEntryModified
    public void modified(CacheEntryModifiedEvent<String, String> e) {
      if (!e.isPre()) {
        onWrite.accept(e.getOldValue(), e.getNewValue());
        onChange.accept(e.getKey(), visible(e.getNewValue()));
      }
    }

    /** @param e a removed entry */
    @CacheEntryRemoved
    public void removed(CacheEntryRemovedEvent<String, String> e) {
      if (!e.isPre()) {
        onWrite.accept(e.getOldValue(), null);
        onChange.accept(e.getKey(), null);
      }
    }
  }

  /** Notes when the keys cache's topology last began or finished changing; synchronous, as {@link EntryWatcher}. */
  @Listener
  public static final class TopologyWatcher {
    private volatile long changedAt;

    /** @param e a topology change, before and after */
    @TopologyChanged
    public void changed(TopologyChangedEvent<String, String> e) {
      changedAt = System.nanoTime();
    }
  }

  /**
   * Watches the cluster view (merges included) for nodes that leave it and nodes in it;
   * synchronous, as {@link EntryWatcher}.
   */
  @Listener
  public static final class ViewWatcher {
    private final BiConsumer<Set<String>, Set<String>> onView;

    ViewWatcher(BiConsumer<Set<String>, Set<String>> onView) {
      this.onView = onView;
    }

    /** @param e a new view, or a merged one */
    @ViewChanged
    @Merged
    public void viewChanged(ViewChangedEvent e) {
      Set<String> members = new HashSet<>();
      e.getNewMembers().forEach(a -> members.add(a.toString()));
      Set<String> left = new HashSet<>();
      e.getOldMembers().forEach(a -> left.add(a.toString()));
      left.removeAll(members);
      onView.accept(left, members);
    }
  }
}
