package dev.cloister.impl.transport;

import io.vertx.core.Completable;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.logging.Logger;
import io.vertx.core.internal.logging.LoggerFactory;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.Merged;
import org.infinispan.notifications.cachemanagerlistener.event.MergeEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Repairs the event bus's cluster data after split views merge.
 *
 * <p>When split views merge, each side's replicas of the event-bus subscriptions and node-info
 * caches lack what the other side removed while it thought those nodes gone, and vertx-infinispan
 * does not reconcile them: requests to a consumer that lives only on the other side fail with
 * NO_HANDLERS, and replies to a node whose event-bus address was removed never arrive. Each node
 * therefore writes its own node info and registrations back, at the merge and a few times while the
 * rebalance settles (adding a registration that is already there changes nothing), and tells
 * its event bus that the registrations it cached are lost, so that the next send reads them anew:
 * a re-added registration that was already in the primary copy fires no update anywhere.
 *
 * <p>It keeps a shadow copy of this node's registrations (the cluster manager reports every
 * add and remove to it); Infinispan's merge notification only schedules the repair. The writes run
 * on a thread of the repair's own, after vertx-infinispan's handling of the view is done: that
 * handling holds the cluster manager's lock, which its node-info write also takes, for as long as
 * its cache clean-ups take during a merge (measured on the real-network rig: 4.5 s on an event
 * loop, 61 s on a worker). The registrations are written from a worker context, never an event
 * loop, as such a write can wait for JGroups' flow control. The event bus is told of the lost
 * registrations on the repair's context once they are sent.
 */
public final class MergeRepair {

  /** What the repair writes through: the cluster manager's own, unshadowed operations. */
  public interface Target {
    /** @return whether the cluster manager is still active */
    boolean isActive();

    /** @return this node's event-bus node info, or {@code null} */
    NodeInfo getNodeInfo();

    /** Returns once the cluster manager's own handling of a view change, if one is under way, is done. */
    void awaitViewHandling();

    /**
     * Writes this node's node info.
     *
     * @param info the node info
     * @param promise completed when written
     */
    void setNodeInfo(NodeInfo info, Completable<Void> promise);

    /**
     * Writes a registration, without recording it in the shadow copy again.
     *
     * @param address the address
     * @param info the registration
     * @param promise completed when written
     */
    void writeRegistration(String address, RegistrationInfo info, Completable<Void> promise);
  }

  private static final Logger log = LoggerFactory.getLogger(ClusterTransport.LOG_CATEGORY);
  /**
   * When to repair again after a merge, ms. Each node's repairs run on its own timers, so one node
   * may drop its cached registrations just before another's rewrite lands, and a rewrite of an entry
   * the primary copy already has fires no update: the later rounds drop the caches again once every
   * node has rewritten (a consumer on the other side stayed unreachable from one node for a minute).
   */
  private static final long[] REPAIR_AGAIN_DELAYS = {3_000, 6_000, 15_000, 30_000};

  private final Target target;
  private final Map<String, Set<RegistrationInfo>> registrations = new ConcurrentHashMap<>();
  private final MergeWatcher watcher = new MergeWatcher();
  private volatile ContextInternal context;
  private volatile ContextInternal writes;
  private volatile RegistrationListener registrationListener;
  /** One thread at most, gone when idle: a repair may wait a long time for the lock. */
  private final ThreadPoolExecutor writer = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
    new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "cloister-merge-repair");
      t.setDaemon(true);
      return t;
    });

  /**
   * Creates the repair of one cluster manager.
   *
   * @param target the cluster manager's operations
   */
  public MergeRepair(Target target) {
    this.target = target;
  }

  /**
   * Sets the contexts the repair runs on, once Vert.x is known.
   *
   * @param context an event-loop context of its own, where the event bus is told of lost registrations
   * @param writes a worker context of its own, where the registrations are written: vertx-infinispan
   *     writes a registration on the caller's context, or on a new event-loop context when called
   *     from another thread, and that write can block (measured on the real-network rig: JGroups'
   *     flow control held an event loop for 5 s after a merge, waiting for credits from a peer)
   */
  public void init(ContextInternal context, ContextInternal writes) {
    this.context = context;
    this.writes = writes;
  }

  /** @return the Infinispan cache-manager listener to add on join and remove on leave */
  public Object watcher() {
    return watcher;
  }

  /** @param listener the event bus's registration listener, told when cached registrations are lost */
  public void registrationListener(RegistrationListener listener) {
    this.registrationListener = listener;
  }

  /**
   * Records a registration in the shadow copy.
   *
   * @param address the address
   * @param info the registration
   */
  public void added(String address, RegistrationInfo info) {
    registrations.computeIfAbsent(address, a -> ConcurrentHashMap.newKeySet()).add(info);
  }

  /**
   * Drops a registration from the shadow copy.
   *
   * @param address the address
   * @param info the registration
   */
  public void removed(String address, RegistrationInfo info) {
    registrations.computeIfPresent(address, (a, infos) -> {
      infos.remove(info);
      return infos.isEmpty() ? null : infos;
    });
  }

  /**
   * Infinispan's merge notification; public because Infinispan requires listener classes to be.
   * Synchronous, so that it is not queued behind vertx-infinispan's own handling of the view on
   * Infinispan's single notification thread; it only schedules the repair.
   */
  @Listener
  public final class MergeWatcher {
    /** @param e the merge */
    @Merged
    public void merged(MergeEvent e) {
      ContextInternal c = context;
      repair(c);
      for (long delay : REPAIR_AGAIN_DELAYS) {
        c.setTimer(delay, id -> repair(c));
      }
    }
  }

  private void repair(ContextInternal c) {
    if (!target.isActive()) {
      return;
    }
    writer.execute(() -> {
      try {
        target.awaitViewHandling();
        if (!target.isActive()) {
          return;
        }
        rewrite(target.getNodeInfo(), c);
      } catch (RuntimeException e) {
        // The node left meanwhile.
        log.debug("Merge repair skipped: " + e.getMessage());
      }
    });
  }

  /** Writes this node's node info and registrations back, then tells the event bus on {@code c}. */
  private void rewrite(NodeInfo self, ContextInternal c) {
    if (self != null) {
      target.setNodeInfo(self, (v, err) -> {
        if (err != null) {
          log.warn("Cannot restore this node's event-bus address after a merge: " + err.getMessage());
        }
      });
    }
    List<Map.Entry<String, RegistrationInfo>> all = new ArrayList<>();
    registrations.forEach((address, infos) -> infos.forEach(info -> all.add(Map.entry(address, info))));
    writes.runOnContext(v -> {
      all.forEach(e -> target.writeRegistration(e.getKey(), e.getValue(), (w, err) -> {
        if (err != null) {
          log.warn("Cannot restore the subscription to " + e.getKey() + " after a merge: " + err.getMessage());
        }
      }));
      c.runOnContext(w -> registrationsLost(all.size()));
    });
  }

  private void registrationsLost(int count) {
    if (!target.isActive()) {
      return;
    }
    RegistrationListener listener = registrationListener;
    if (listener != null) {
      listener.registrationsLost();
    }
    log.info("Restored this node's event-bus address and " + count + " subscriptions after a merge");
  }
}
