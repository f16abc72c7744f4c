package dev.cloister.faults;

import dev.cloister.CloisterStatus;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import dev.cloister.testing.NodeCaches;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Infinispan runs every asynchronous listener of a node on one notification thread, and
 * vertx-infinispan's handling of a view holds it on the coordinator for as long as its cache
 * clean-ups take. On the real-network rig a coordinator's membership waited behind it for minutes
 * after a heal: READY and quorate on a ring of four while the four others served all five, a
 * member that had joined meanwhile missing from its ring. Here a listener of the test holds one
 * node's notification thread from the next view on; that node must still follow a join and a
 * graceful leave.
 */
class HeldNotificationsTest {

  private CloisterCluster cluster;
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    release.countDown();
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNodeWhoseNotificationThreadIsHeldStillFollowsAJoinAndALeave() throws Exception {
    cluster = CloisterCluster.builder().nodes(3).consensus(2).start();
    cluster.awaitConverged();
    CloisterNode held = cluster.node(0);
    EmbeddedCacheManager manager = NodeCaches.manager(held.vertx());
    Holder holder = new Holder(release);
    manager.addListener(holder);

    int joiner = cluster.addNode();
    assertTrue(holder.holding.await(60, TimeUnit.SECONDS), "the join's view reached the holder");
    cluster.awaitConverged();
    String name = cluster.node(joiner).name();
    assertTrue(held.state().memberNames().contains(name), held.name() + " sees the joiner: " + held.state().memberNames());

    cluster.stop(joiner);
    cluster.awaitConverged(0, 1, 2);
    assertEquals(CloisterStatus.READY, held.state().getStatus());
    assertEquals(3, held.state().memberNames().size(), held.name() + " saw the leave: " + held.state().memberNames());
    assertEquals(1, release.getCount(), "the notification thread was held throughout");
  }

  /** Holds the notification thread from the first view it hears of until released. */
  @Listener(sync = false)
  public static final class Holder {
    private final CountDownLatch release;
    final CountDownLatch holding = new CountDownLatch(1);

    Holder(CountDownLatch release) {
      this.release = release;
    }

    /** @param e a view */
    @ViewChanged
    public void view(ViewChangedEvent e) throws InterruptedException {
      holding.countDown();
      release.await(120, TimeUnit.SECONDS);
    }
  }
}
