package dev.cloister.netrig;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Five node JVMs, consensus 3, {@code quorumLossPolicy=protect}, each in its own network namespace
 * as containers run, found by a DNS name only; real faults on the real data path (see {@link Rig}).
 * Every scenario records a history and checks invariants on it afterwards; none asserts a time.
 * The histories are written to {@code target/netrig/}.
 */
@Tag("netrig")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNetworkTest {

  private static final Set<String> FIVE = Set.of("n1", "n2", "n3", "n4", "n5");
  private static final long FORM_MS = 150_000;
  private static final long CONVERGE_MS = 60_000;
  /** Bound on the cut → minority below consensus: many times the failure-detection bound. */
  private static final long DETECT_MS = 30_000;
  /** How soon the state must follow a JGroups view: a few failure-detection bounds. */
  private static final long FOLLOW_MS = 3_000;
  /**
   * How long the ring of five must have stood before a scenario starts, with no fault, no view and
   * no transition anywhere: the failure-detection bound (3 s) and a second, so that a suspicion the
   * scenario before raised (a short cut healed just before detection) has been settled either way
   * and does not land in the next scenario's measurements.
   */
  private static final long SETTLE_MS = 4_000;

  private History history;
  private Rig rig;
  private String formed;

  @BeforeAll
  void startCluster() throws Exception {
    String why = Rig.unavailable();
    assumeTrue(why == null, () -> "skipped: " + why);
    history = new History(Path.of("target", "netrig", "RealNetworkTest.jsonl"));
    rig = new Rig(history, Map.of("CLOISTER_APP", "netrig", "CLOISTER_CONSENSUS", "3",
      "CLOISTER_QUORUM_LOSS_POLICY", "protect"));
    for (int i = 1; i <= 5; i++) {
      rig.startNode(i, true);
    }
    formed = rig.awaitRing(FIVE, FORM_MS);
  }

  @AfterAll
  void stopCluster() {
    if (rig != null) {
      rig.close();
    }
  }

  /**
   * Each scenario starts from one converged ring of five that has settled; a scenario that broke it
   * is not hidden.
   */
  @BeforeEach
  void fiveConverged(TestInfo info) throws Exception {
    history.fault("scenario", info.getDisplayName());
    if (awaitSettled(5_000 + SETTLE_MS) == null) {
      return;
    }
    for (String n : FIVE) {
      RigNode node = rig.node(n);
      if (!node.isAlive() || rig.sample(List.of(n)).get(n) == null) {
        node.kill();
        rig.startNode(Integer.parseInt(n.substring(1)), false);
      }
    }
    String ring = awaitSettled(FORM_MS);
    if (ring != null) {
      // A ring that never converges again: restart all, so the next scenarios still run.
      for (String n : FIVE) {
        rig.node(n).kill();
      }
      for (String n : FIVE) {
        rig.startNode(Integer.parseInt(n.substring(1)), false);
      }
      ring = awaitSettled(FORM_MS);
    }
    assertNull(ring, "no converged ring of five before the scenario");
  }

  /**
   * Waits for one converged ring of five that has stood {@link #SETTLE_MS} since the last fault,
   * view or transition.
   *
   * @param timeoutMs how long to wait
   * @return {@code null} once settled, else what was last seen
   */
  private String awaitSettled(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "nothing polled";
    while (System.currentTimeMillis() < deadline) {
      last = rig.awaitRing(FIVE, Math.max(1, deadline - System.currentTimeMillis()));
      if (last != null) {
        return last;
      }
      long change = history.ops().stream()
        .filter(o -> o.kind().equals("view") || o.kind().equals("transition")
          || o.kind().equals("fault") && !"scenario".equals(o.data().getString("fault")))
        .mapToLong(History.Op::at).max().orElse(0);
      long quiet = System.currentTimeMillis() - change;
      if (quiet >= SETTLE_MS) {
        return null;
      }
      last = "converged, but only " + quiet + " ms after the last fault, view or transition";
      Rig.pause(Math.min(200, SETTLE_MS - quiet));
    }
    return last;
  }

  @Test
  @Order(1)
  void fiveNodesFoundByDnsNameFormOneRingAndASixthAddedToDnsJoins() throws Exception {
    assertNull(formed, "five nodes never formed one ring by the service name");
    rig.startNode(6, true);
    Set<String> six = new TreeSet<>(FIVE);
    six.add("n6");
    assertNull(rig.awaitRing(six, FORM_MS), "a sixth node in DNS never joined");
    rig.unpublish(6);
    rig.node("n6").stop();
    assertNull(rig.awaitRing(FIVE, CONVERGE_MS), "the five did not go back to one ring after n6 left");
  }

  @Test
  @Order(2)
  void aPartitionKeepsTheMajorityQuorateTheMinorityLosesQuorumAndTheHealConverges() throws Exception {
    List<String> violations = new ArrayList<>();
    for (Set<String> minority : List.of(Set.of("n1", "n2"), Set.of("n4", "n5"))) {
      Set<String> majority = new TreeSet<>(FIVE);
      majority.removeAll(minority);
      long cut = System.currentTimeMillis();
      rig.partition(minority);
      String majorityRing = rig.awaitRing(majority, DETECT_MS);
      awaitNotQuorate(minority, DETECT_MS);
      // Keep observing the split a little: a majority that collapses later must show.
      sampleFor(FIVE, 3_000);
      long heal = System.currentTimeMillis();
      rig.heal();
      String round = "cut " + minority + " | " + majority + ": ";
      List<String> healed = oneRingOfFive(round + "after the heal: ");
      List<History.Op> ops = history.ops();
      if (majorityRing != null) {
        violations.add(round + "the majority never became one ring of three: " + majorityRing);
      }
      Invariants.stayQuorate(ops, majority, cut, heal).forEach(v -> violations.add(round + v));
      Invariants.loseQuorum(ops, minority, cut, heal).forEach(v -> violations.add(round + v));
      violations.addAll(healed);
    }
    assertEquals(List.of(), violations);
  }

  /*
   * Each node's state follows every JGroups view it installs within 3 s, and no two quorate rings
   * answer during a cut. It was pending (run only on request) while it failed in about 1 run of 10:
   * after a merge a node waits, not quorate, for the records of the members back in its view, and
   * that took up to 2.7 s (Infinispan's recovery began only when the new coordinator's first
   * messages, dropped by members that had not installed the merged view, were retransmitted, up to
   * 2 s later), and longer when a node's notifications waited behind vertx-infinispan's view
   * handling. Before the quorum on fresh evidence a minority node served a quorate ring of three
   * with a member of the other side for five seconds; before the view was read from JGroups, a
   * node's state lagged its view by 8 s.
   */
  @Test
  @Order(3)
  void stateFollowsEveryViewChangePromptlySoNoTwoRingsServeDuringACut() throws Exception {
    List<String> violations = new ArrayList<>();
    for (Set<String> minority : List.of(Set.of("n1", "n2"), Set.of("n4", "n5"))) {
      long start = System.currentTimeMillis();
      rig.partition(minority);
      awaitNotQuorate(minority, DETECT_MS);
      sampleFor(FIVE, 3_000);
      rig.heal();
      String healed = rig.awaitRing(FIVE, CONVERGE_MS);
      sampleFor(FIVE, 2_000);
      long end = System.currentTimeMillis();
      String round = "cut " + minority + ": ";
      Invariants.stateFollowsView(history.ops(), start, end, FOLLOW_MS).forEach(v -> violations.add(round + v));
      Invariants.noSplitBrain(history.ops(), start, end).forEach(v -> violations.add(round + v));
      if (healed != null) {
        violations.add(round + "the heal never converged: " + healed);
      }
    }
    assertEquals(List.of(), violations);
  }

  /*
   * Shifting cuts: a cut healed before detection completes, then another cut, then a third. Before
   * the view rule in LivenessWatch, 3 of 4 runs served two quorate rings between a heal and the merge
   * (overlapping views); with it, 2 in about 20 runs: once with an event loop blocked by the merge
   * repair (fixed since), once through a member one view ahead whose view had left this node out
   * (counted no more since). In 3 of 9 runs a replica lacked a member's record for the whole minute
   * after the last heal (purged during the cut, conflict resolution failed at the merge); members
   * now write their records again once the cache merges, and a replica that keeps an old record is
   * repaired. It passed in the 14 runs since, the last 10 of them before it joined the default set.
   */
  @Test
  @Order(4)
  void healsAfterShortAndShiftingCutsEndInOneConvergedRing() throws Exception {
    long start = System.currentTimeMillis();
    List<String> violations = new ArrayList<>();
    // A cut healed before detection completes, then a different cut while the merge may be under way.
    rig.partition(Set.of("n1", "n3"));
    sampleFor(FIVE, 1_500);
    rig.heal();
    rig.partition(Set.of("n2", "n5"));
    awaitNotQuorate(Set.of("n2", "n5"), DETECT_MS);
    rig.heal();
    String first = rig.awaitRing(FIVE, CONVERGE_MS);
    if (first != null) {
      violations.add("after cuts {n1,n3} then {n2,n5}: " + first);
    }
    rig.partition(Set.of("n5"));
    awaitNotQuorate(Set.of("n5"), DETECT_MS);
    rig.heal();
    // Healed before detection finished: the others may still exclude n5 and merge it back.
    violations.addAll(oneRingOfFive("after cut {n5}: "));
    violations.addAll(Invariants.noSplitBrain(history.ops(), start, System.currentTimeMillis()));
    assertEquals(List.of(), violations);
  }

  /*
   * A minute of 200 ms ± 50 ms one-way delay and 5 % loss on every link, with a graceful leave in
   * it. Passed in 11 of 17 runs while JGroups' FD_SOCK2 looked for its next neighbour on its
   * selector thread (after the leave every node's search failed its connects and suspected live
   * members); in 10 of 11 with the search off that thread; in the other, JGroups excluded a live
   * node 22 s after the leave. The rig's logs then showed why such exclusions happen: FD_ALL3 on
   * the coordinator hears nothing from a live member for 2 s now and then (a lost segment and its
   * retransmission), and its answer to the check came 414 ms later, close to VERIFY_SUSPECT2's
   * 500 ms; and the search for a new neighbour after the leave timed out connecting to live
   * members. A silence is now checked for 1 s, each suspicion for its whole wait, and a connect
   * that timed out suspects nobody.
   */
  @Test
  @Order(5)
  void aMinuteOfLatencyJitterAndLossLeavesEveryNodeReadyAndAgreeing() throws Exception {
    long start = System.currentTimeMillis();
    int seconds = 60;
    Set<String> four = new TreeSet<>(FIVE);
    four.remove("n5");
    rig.impair(seconds, 200, 50, 0.05);
    sampleFor(FIVE, 15_000);
    // A view change under latency: every failure detector re-connects to its new neighbour.
    history.fault("stop", "n5");
    rig.node("n5").stop();
    sampleFor(four, seconds * 1000L - (System.currentTimeMillis() - start));
    String counters = rig.endImpairment();
    long end = System.currentTimeMillis();
    rig.startNode(5, false);
    List<String> violations = new ArrayList<>();
    for (String n : four) {
      List<History.Op> left = history.since(start, o -> o.node().equals(n) && o.kind().equals("transition")
        && o.at() <= end && "READY".equals(o.data().getString("from")));
      // Once is n5's graceful leave.
      if (left.size() > 1) {
        violations.add(n + " left READY " + left.size() + " times under latency and loss: " + left.stream()
          .map(o -> "+" + (o.at() - start) + " ms: " + Invariants.describe(o)).toList());
      }
    }
    violations.addAll(Invariants.noSplitBrain(history.ops(), start, end));
    String after = rig.awaitRing(FIVE, CONVERGE_MS);
    if (after != null) {
      violations.add("no converged ring after the impairment (" + counters + "): " + after);
    }
    assertEquals(List.of(), violations, "forwarder: " + counters);
  }

  @Test
  @Order(6)
  void aMulticallToAKilledNodeFailsAtOnceOncePurged() throws Exception {
    rig.node("n5").kill();
    history.fault("kill", "n5");
    Set<String> four = new TreeSet<>(FIVE);
    four.remove("n5");
    assertNull(rig.awaitRing(four, CONVERGE_MS), "the survivors never purged n5");
    JsonObject call = rig.node("n1").ask("multicall n5", "multicall", 60_000);
    assertNotNull(call, "the multicall never completed");
    JsonArray replies = call.getJsonArray("replies");
    assertNotNull(replies, "the multicall failed as a whole: " + call);
    JsonObject reply = replies.getJsonObject(0);
    assertTrue(!Boolean.TRUE.equals(reply.getBoolean("succeeded")) && !"TIMEOUT".equals(reply.getString("failure")),
      "a purged node must be a per-node failure at once, not a timeout: " + call);
  }

  @Test
  @Order(7)
  void aRollingRestartNeverDropsTheOthersBelowConsensus() throws Exception {
    List<String> violations = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      String n = "n" + i;
      Set<String> others = new TreeSet<>(FIVE);
      others.remove(n);
      long from = System.currentTimeMillis();
      history.fault("stop", n);
      rig.node(n).stop();
      String without = rig.awaitRing(others, CONVERGE_MS);
      rig.startNode(i, false);
      String with = rig.awaitRing(FIVE, FORM_MS);
      long to = System.currentTimeMillis();
      if (without != null) {
        violations.add("without " + n + ": " + without);
      }
      if (with != null) {
        violations.add(n + " never rejoined: " + with);
        break;
      }
      Invariants.stayQuorate(history.ops(), others, from, to).forEach(v -> violations.add("restarting " + n + ": " + v));
    }
    assertEquals(List.of(), violations);
  }

  /*
   * A paused node (SIGSTOP). 8 s is longer than failure detection: the others purge it and serve a
   * ring of four. Before the fixes it came back READY and quorate on the ring it had before the
   * pause and never converged with them (two quorate rings answering ownership differently). Now it
   * notices its standstill and counts only itself until a write of its record lands after a hold.
   * 3 s excluded it too while a silence was checked for 500 ms; with the 1 s check it stays in the
   * view (its answer comes about 0.9 s into the check), and it still holds back after its
   * standstill: until then it must report itself not quorate, in its state as in its ownership
   * answers (a stale READY answered right after SIGCONT made the owners check fail once).
   */
  @Test
  @Order(50)
  void aThreeSecondPauseEndsInOneConvergedRingWithoutSplitBrain() throws Exception {
    pauseAndResume(3_000);
  }

  @Test
  @Order(51)
  void anEightSecondPauseEndsInOneConvergedRingWithoutSplitBrain() throws Exception {
    pauseAndResume(8_000);
  }

  private void pauseAndResume(long pauseMs) {
    Set<String> four = new TreeSet<>(FIVE);
    four.remove("n5");
    long start = System.currentTimeMillis();
    history.fault("pause", "n5 SIGSTOP for " + pauseMs + " ms");
    rig.node("n5").signal("STOP");
    sampleFor(four, pauseMs);
    rig.node("n5").signal("CONT");
    history.fault("resume", "n5 SIGCONT");
    List<String> violations = new ArrayList<>(oneRingOfFive("after the pause: "));
    violations.addAll(Invariants.noSplitBrain(history.ops(), start, System.currentTimeMillis()));
    assertEquals(List.of(), violations);
  }

  @Test
  @Order(90)
  void theBlockedThreadCheckerStaysSilentThroughAllScenarios() {
    assertEquals(List.of(), Invariants.noBlockedThreads(history.ops()));
  }

  private void awaitNotQuorate(Set<String> nodes, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      Map<String, JsonObject> states = rig.sample(nodes);
      if (states.values().stream().allMatch(s -> s != null && !Boolean.TRUE.equals(s.getBoolean("quorate")))) {
        return;
      }
      Rig.pause(200);
    }
  }

  /** Keeps sampling every node's state, so the history shows what each served meanwhile. */
  private void sampleFor(Set<String> nodes, long ms) {
    long end = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < end) {
      rig.sample(nodes);
      Rig.pause(250);
    }
  }

  /** Every node names the same owner for each of 200 keys. */
  /**
   * Awaits one converged ring of five that answers ownership alike on every node, for up to
   * {@link #CONVERGE_MS}. A ring that converged can still move on: after a heal that came before
   * failure detection finished, the others may exclude a member late and merge it back; so a ring
   * whose owners differ between nodes is awaited again until the time is up.
   *
   * @param round what the violations start with
   * @return the violations of the last attempt, none when the ring settled
   */
  private List<String> oneRingOfFive(String round) {
    long deadline = System.currentTimeMillis() + CONVERGE_MS;
    List<String> found;
    do {
      String ring = rig.awaitRing(FIVE, Math.max(1, deadline - System.currentTimeMillis()));
      if (ring != null) {
        return List.of(round + "no converged ring of five: " + ring);
      }
      found = new ArrayList<>();
      sameOwners(found, round);
    } while (!found.isEmpty() && System.currentTimeMillis() < deadline);
    return found;
  }

  private void sameOwners(List<String> violations, String round) {
    JsonObject first = null;
    String firstNode = null;
    for (String n : new TreeSet<>(FIVE)) {
      JsonObject o = rig.node(n).ask("owners 200", "owners", 10_000);
      JsonObject owners = o == null ? null : o.getJsonObject("owners");
      if (owners == null) {
        violations.add(round + n + " did not answer owners: " + o);
      } else if (first == null) {
        first = owners;
        firstNode = n;
      } else if (!first.equals(owners)) {
        JsonObject f = first;
        long differ = owners.fieldNames().stream().filter(k -> !owners.getValue(k).equals(f.getValue(k))).count();
        violations.add(round + differ + " of 200 keys have other owners on " + n + " than on " + firstNode);
      }
    }
  }
}
