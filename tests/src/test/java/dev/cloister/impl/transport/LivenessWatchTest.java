package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Who counts as heard from: the rule behind the quorum on fresh evidence. */
class LivenessWatchTest {

  private static final long WINDOW = 2_000_000_000L;
  private final Address self = UUID.randomUUID();
  private final Address a = UUID.randomUUID();
  private final Address b = UUID.randomUUID();

  @Test
  void membersHeardWithinTheWindowCountAndThisNodeAlways() {
    long now = 10 * WINDOW;
    Set<String> counted = LivenessWatch.counted(List.of(self, a, b), self, Map.of(a, now - WINDOW, b, now - WINDOW - 1),
      Map.of(), List.of(), now, WINDOW);
    assertEquals(Set.of(self.toString(), a.toString()), counted);
  }

  @Test
  void aMemberNeverHeardFromDoesNotCount() {
    assertEquals(Set.of(self.toString()), LivenessWatch.counted(List.of(self, a), self, Map.of(), Map.of(), List.of(), 0, WINDOW));
  }

  @Test
  void theRuleDoesNotDependOnTheSignOfTheClock() {
    long now = -5 * WINDOW;
    assertEquals(Set.of(self.toString(), a.toString()),
      LivenessWatch.counted(List.of(self, a, b), self, Map.of(a, now - 1, b, now - 3 * WINDOW), Map.of(), List.of(),
        now, WINDOW));
  }

  private final ViewId v1 = new ViewId(a, 1);
  private final ViewId v2 = new ViewId(a, 2);
  private final ViewId v3 = new ViewId(a, 3);
  private final ViewId otherSide = new ViewId(b, 2);

  private Set<String> countedWith(LivenessWatch.Installed theirs, List<ViewId> mine) {
    return LivenessWatch.counted(List.of(self, a), self, Map.of(a, 0L), theirs == null ? Map.of() : Map.of(a, theirs),
      mine, 0, WINDOW);
  }

  @Test
  void aMemberInTheSameViewOrBehindOnThisNodesViewsOrOneAheadCounts() {
    List<ViewId> mine = List.of(v3, v2, v1);
    Set<String> both = Set.of(self.toString(), a.toString());
    assertEquals(both, countedWith(new LivenessWatch.Installed(v3, v2), mine), "the same view");
    assertEquals(both, countedWith(new LivenessWatch.Installed(v2, v1), mine), "one behind");
    assertEquals(both, countedWith(new LivenessWatch.Installed(v1, null), mine), "two behind (a slow link)");
    assertEquals(both, countedWith(new LivenessWatch.Installed(new ViewId(a, 4), v3), mine), "one ahead");
    assertEquals(both, countedWith(null, mine), "no heartbeat with views yet: hearing alone");
    assertEquals(both, countedWith(new LivenessWatch.Installed(v3, v2), List.of()), "before this node's first view");
  }

  @Test
  void aMemberOfAnotherViewThatFollowsTheSameViewDoesNotCount() {
    // Both sides of a split came from v1: this node installed v2, the member the other side's view.
    List<ViewId> mine = List.of(v2, v1);
    assertEquals(Set.of(self.toString()), countedWith(new LivenessWatch.Installed(otherSide, v1), mine));
    assertEquals(Set.of(self.toString()), countedWith(new LivenessWatch.Installed(new ViewId(b, 7), otherSide), mine),
      "two views apart");
    assertEquals(Set.of(self.toString()), countedWith(new LivenessWatch.Installed(new ViewId(b, 3), v1),
      List.of(v3, v2, v1)), "a view after one this node has left behind");
    assertEquals(Set.of(self.toString()), countedWith(new LivenessWatch.Installed(new ViewId(a, 5), new ViewId(a, 4)),
      mine), "two ahead: nothing shows it follows this node's view");
  }

  @Test
  void aMemberOneViewAheadCountsOnlyWhenThatViewKeptThisNode() {
    // A cut: the member's next view after this node's v2 left this node out; this node, still on
    // v2, must not count it (on the rig: a second quorate ring for 5.2 s).
    List<ViewId> mine = List.of(v2, v1);
    assertEquals(Set.of(self.toString()), countedWith(new LivenessWatch.Installed(v3, v2, Set.of(self, b)), mine),
      "its view left this node out");
    assertEquals(Set.of(self.toString(), a.toString()), countedWith(new LivenessWatch.Installed(v3, v2, Set.of(b)), mine),
      "its view left another member out");
  }

  @Test
  void aMemberStillShowingTheOtherSidesViewCountsOnceThisNodeInstalledTheMergeView() {
    // The sides of a split: this node's v2 after v1, the member's otherSide after v1; then a merge.
    View mySide = View.create(a, 2, self, a);
    View theirSide = new View(otherSide, List.of(b, a));
    List<ViewId> beforeMerge = LivenessWatch.lineageAfter(mySide, List.of(v1));
    LivenessWatch.Installed member = new LivenessWatch.Installed(otherSide, v1);
    assertEquals(Set.of(self.toString()), countedWith(member, beforeMerge), "before the merge: the other side");

    MergeView merged = new MergeView(new ViewId(self, 3), List.of(self, a, b), List.of(mySide, theirSide));
    List<ViewId> afterMerge = LivenessWatch.lineageAfter(merged, beforeMerge);
    assertEquals(List.of(new ViewId(self, 3), mySide.getViewId(), otherSide, v1), afterMerge);
    assertEquals(Set.of(self.toString(), a.toString()), countedWith(member, afterMerge), "behind the merge view");
  }

  @Test
  void thisNodeRemembersAtMostSoManyViews() {
    List<ViewId> mine = List.of();
    for (int i = 1; i <= LivenessWatch.LINEAGE + 5; i++) {
      mine = LivenessWatch.lineageAfter(View.create(a, i, self, a), mine);
    }
    assertEquals(LivenessWatch.LINEAGE, mine.size());
    assertEquals(new ViewId(a, LivenessWatch.LINEAGE + 5), mine.get(0));
  }

  @Test
  void theHeaderCarriesBothViewsTheMembersLeftOutAndTheFirstViewWithoutAPredecessor() throws Exception {
    List<LivenessWatch.Installed> sent = List.of(new LivenessWatch.Installed(v2, v1, Set.of(b, self)),
      new LivenessWatch.Installed(v1, null));
    for (LivenessWatch.ViewsHeader h : sent.stream().map(LivenessWatch.ViewsHeader::new).toList()) {
      ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(h.serializedSize());
      h.writeTo(out);
      assertEquals(h.serializedSize(), out.position());
      LivenessWatch.ViewsHeader back = new LivenessWatch.ViewsHeader();
      back.readFrom(new ByteArrayDataInputStream(out.buffer(), 0, out.position()));
      assertEquals(h.views(), back.views());
    }
  }
}
