package dev.cloister.impl.transport;

import dev.cloister.CloisterStatus;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import dev.cloister.testing.NodeCaches;
import io.vertx.core.internal.VertxInternal;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.protocols.UNICAST3;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;

/**
 * JGroups sends from one thread per destination (see {@link RetiringBundler}): a member that
 * leaves the view must take its threads with it, or every restart of a peer costs each survivor
 * threads and their buffers for good (with JGroups' own bundler: 77 threads after the eight rounds
 * here, none of them stopped when the node closed), and a node that closes must take all of its
 * own.
 */
class SendingThreadsTest {

  private static final int ROUNDS = 8;

  @Test
  void aPeerThatComesAndGoesLeavesNoSendingThreadBehind() {
    try (InJvmCluster cluster = new InJvmCluster(3)) {
      Node a = cluster.start(0, cluster.options(0, 1));
      Node b = cluster.start(1, cluster.options(1, 1));
      awaitMembers(a, 2);
      awaitMembers(b, 2);
      // UNICAST3 goes on resending to a member that left for its conn_close_timeout (4 minutes),
      // and each resend needs a sending thread: shortened here, so that the test need not wait.
      ((JGroupsTransport) NodeCaches.manager(a.vertx).getTransport()).getChannel().getProtocolStack()
        .<UNICAST3>findProtocol(UNICAST3.class).setValue("conn_close_timeout", 1000L);
      String self = ((VertxInternal) a.vertx).clusterManager().getNodeId();
      List<String> departed = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        Node c = cluster.start(2, cluster.options(2, 1));
        departed.add(((VertxInternal) c.vertx).clusterManager().getNodeId());
        await(c.deployment);
        awaitMembers(a, 3);
        cluster.stop(c);
        awaitMembers(a, 2);
      }
      // At most: the two members and the "all members" destination. Discovery writes to the seeds'
      // addresses every round, but from its own thread: with a sending thread per seed, as before,
      // three more here.
      int bound = 2 + 1;
      eventually("at most " + bound + " sending threads on " + self + " after " + ROUNDS + " joins and leaves",
        () -> sendingThreads(self).size() <= bound, () -> sendingThreads(self));
      // A closed node's own sending threads are gone too: one left running keeps the node's whole
      // channel and cache manager reachable.
      eventually("no sending thread of the " + ROUNDS + " closed peers", () -> departed.stream()
        .allMatch(id -> sendingThreads(id).isEmpty()), () -> departed.stream().map(SendingThreadsTest::sendingThreads)
        .filter(t -> !t.isEmpty()).toList());
      cluster.stop(a);
      eventually("no sending thread of " + self + " once it closed", () -> sendingThreads(self).isEmpty(),
        () -> sendingThreads(self));
    }
  }

  private static void awaitMembers(Node node, int members) {
    eventually("node" + node.index + " READY on " + members + " members",
      () -> node.lastStatus() == CloisterStatus.READY && node.state().memberNames().size() == members,
      node::transitions);
  }

  private static List<String> sendingThreads(String node) {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
      .filter(n -> n.startsWith("pd-bundler") && n.contains(node)).sorted().toList();
  }
}
