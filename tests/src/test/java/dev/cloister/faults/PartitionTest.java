package dev.cloister.faults;

import dev.cloister.CloisterException;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.QuorumLossPolicy;
import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterNode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Five nodes in one JVM, consensus 3, {@code quorumLossPolicy=protect}, split 3 + 2 by dropping
 * the traffic between the sides, then healed.
 */
class PartitionTest {

  private CloisterCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private CloisterCluster startFive() {
    cluster = CloisterCluster.builder().nodes(5).consensus(3)
      .options((i, o) -> o.setQuorumLossPolicy(QuorumLossPolicy.PROTECT)).start();
    cluster.awaitConverged();
    return cluster;
  }

  private static int whoisFailureCode(CloisterNode n) {
    try {
      n.vertx().eventBus().request("cloister.whois", new JsonObject().put("key", "k")).await(30, TimeUnit.SECONDS);
    } catch (ReplyException e) {
      return e.failureCode();
    } catch (Exception e) {
      throw new AssertionError("no failure reply: " + e, e);
    }
    throw new AssertionError("whois answered on " + n.name());
  }

  private static boolean belowConsensus(CloisterState s) {
    return s.getStatus() == CloisterStatus.REHASHING && !s.isQuorate();
  }

  @Test
  void theMinorityStopsAnsweringTheMajorityGoesOnAndTheHealedClusterConvergesOnOneRing() {
    CloisterCluster c = startFive();
    List<Integer> marks = List.of(0, 1, 2).stream().map(i -> c.node(i).transitions().size()).toList();

    c.partition(new int[] {0, 1, 2}, new int[] {3, 4});

    for (int i : List.of(3, 4)) {
      CloisterNode n = c.node(i);
      c.eventually(() -> {
        assertTrue(belowConsensus(n.state()), n.name() + " below consensus");
        assertEquals(List.of("node3", "node4"), n.state().memberNames());
      });
      CloisterException e = assertThrows(CloisterException.class, () -> n.cloister().whois("some-key"));
      assertEquals(CloisterException.NO_QUORUM, e.code());
      assertEquals(CloisterException.NO_QUORUM, whoisFailureCode(n), "the whois address replies 503");
    }
    c.awaitConverged(0, 1, 2);
    for (int i : List.of(0, 1, 2)) {
      List<String> all = c.node(i).transitions();
      List<String> after = all.subList(marks.get(i), all.size());
      assertTrue(after.stream().anyMatch(t -> t.startsWith("READY->REHASHING"))
        && after.get(after.size() - 1).startsWith("REHASHING->READY"), "the majority rehashed through the split: " + after);
      c.node(i).cloister().whois("some-key");
    }

    c.heal();
    c.awaitConverged();
    String owner = c.node(0).cloister().whois("some-key");
    for (int i = 0; i < 5; i++) {
      assertEquals(owner, c.node(i).cloister().whois("some-key"));
    }
  }

  @Test
  void anEvenSplitBelowConsensusLeavesNoSideAnsweringAndHealsBack() {
    // Consensus 3 of 5 split 2 + 2 + 1: no side has a majority, so none may answer.
    CloisterCluster c = startFive();
    c.partition(new int[] {0, 1}, new int[] {2, 3}, new int[] {4});
    for (int i = 0; i < 5; i++) {
      CloisterNode n = c.node(i);
      c.eventually(() -> assertTrue(belowConsensus(n.state()), n.name() + " below consensus"));
      assertThrows(CloisterException.class, () -> n.cloister().whois("k"));
    }
    c.heal();
    c.awaitConverged();
    assertFalse(List.of(0, 1, 2, 3, 4).stream().anyMatch(i -> c.node(i).state().getMembers().size() != 5));
  }
}
