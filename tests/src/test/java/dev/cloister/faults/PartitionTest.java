package dev.cloister.faults;

import dev.cloister.junit5.internal.Partitioner;

import dev.cloister.CloisterException;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.QuorumLossPolicy;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.jgroups.Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Five nodes in one JVM, consensus 3, {@code quorumLossPolicy=protect}, split 3 + 2 by dropping
 * the traffic between the sides, then healed.
 */
class PartitionTest {

  private static final List<String> ALL = List.of("node0", "node1", "node2", "node3", "node4");

  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private List<Node> startFive() {
    cluster = new InJvmCluster(5);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CloisterOptions o = cluster.options(i, 3).setQuorumLossPolicy(QuorumLossPolicy.PROTECT);
      nodes.add(cluster.start(i, o));
    }
    nodes.forEach(n -> await(n.deployment));
    awaitOneRing(nodes, ALL);
    return nodes;
  }

  /** Waits until every node is READY on exactly {@code members} and all report one checksum. */
  static void awaitOneRing(List<Node> nodes, List<String> members) {
    eventually("one converged ring on " + members, () -> {
      String checksum = nodes.get(0).state().getChecksum();
      for (Node n : nodes) {
        CloisterState s = n.state();
        if (s.getStatus() != CloisterStatus.READY || !s.memberNames().equals(members) || !s.isConverged()
          || !s.getChecksum().equals(checksum)) {
          return false;
        }
      }
      return true;
    }, () -> nodes.stream().map(n -> n.state().toJson().encode()).toList());
  }

  private static List<Partitioner> partitioners(List<Node> nodes) throws Exception {
    List<Partitioner> out = new ArrayList<>();
    for (Node n : nodes) {
      out.add(Partitioner.of(n.vertx));
    }
    return out;
  }

  private static void split(List<Partitioner> p, List<Integer> sideA, List<Integer> sideB) {
    List<Address> a = sideA.stream().map(i -> p.get(i).address()).toList();
    List<Address> b = sideB.stream().map(i -> p.get(i).address()).toList();
    sideA.forEach(i -> p.get(i).isolateFrom(b));
    sideB.forEach(i -> p.get(i).isolateFrom(a));
  }

  private static int whoisFailureCode(Node n) {
    try {
      n.vertx.eventBus().request("cloister.whois", new JsonObject().put("key", "k")).await(30, TimeUnit.SECONDS);
    } catch (ReplyException e) {
      return e.failureCode();
    } catch (Exception e) {
      throw new AssertionError("no failure reply: " + e, e);
    }
    throw new AssertionError("whois answered on " + n.index);
  }

  @Test
  void theMinorityStopsAnsweringTheMajorityGoesOnAndTheHealedClusterConvergesOnOneRing() throws Exception {
    List<Node> nodes = startFive();
    List<Partitioner> p = partitioners(nodes);
    List<Node> majority = nodes.subList(0, 3);
    List<Node> minority = nodes.subList(3, 5);
    List<Integer> marks = majority.stream().map(n -> n.transitions.size()).toList();

    split(p, List.of(0, 1, 2), List.of(3, 4));

    for (Node n : minority) {
      eventually(n.index + " below consensus", () -> n.state().getStatus() == CloisterStatus.REHASHING
        && !n.state().isQuorate() && n.state().memberNames().equals(List.of("node3", "node4")), n::transitions);
      CloisterException e = assertThrows(CloisterException.class, () -> n.cloister().whois("some-key"));
      assertEquals(CloisterException.NO_QUORUM, e.code());
      assertEquals(CloisterException.NO_QUORUM, whoisFailureCode(n), "the whois address replies 503");
    }
    awaitOneRing(majority, List.of("node0", "node1", "node2"));
    for (int i = 0; i < majority.size(); i++) {
      Node n = majority.get(i);
      List<String> after = n.transitions.subList(marks.get(i), n.transitions.size());
      assertTrue(after.contains("READY->REHASHING") && after.get(after.size() - 1).equals("REHASHING->READY"),
        "the majority rehashed through the split: " + after);
      n.cloister().whois("some-key");
    }

    p.forEach(Partitioner::heal);
    awaitOneRing(nodes, ALL);
    String owner = nodes.get(0).cloister().whois("some-key");
    for (Node n : nodes) {
      assertEquals(owner, n.cloister().whois("some-key"));
    }
  }

  @Test
  void anEvenSplitBelowConsensusLeavesNoSideAnsweringAndHealsBack() throws Exception {
    // Consensus 3 of 5 split 2 + 2 + 1: no side has a majority, so none may answer.
    List<Node> nodes = startFive();
    List<Partitioner> p = partitioners(nodes);
    split(p, List.of(0, 1), List.of(2, 3, 4));
    split(p, List.of(2, 3), List.of(4));
    for (Node n : nodes) {
      eventually(n.index + " below consensus", () -> n.state().getStatus() == CloisterStatus.REHASHING
        && !n.state().isQuorate(), n::transitions);
      assertInstanceOf(CloisterException.class, assertThrows(CloisterException.class,
        () -> n.cloister().whois("k")));
    }
    p.forEach(Partitioner::heal);
    awaitOneRing(nodes, ALL);
    assertFalse(nodes.stream().anyMatch(n -> n.state().getMembers().size() != 5));
  }
}
