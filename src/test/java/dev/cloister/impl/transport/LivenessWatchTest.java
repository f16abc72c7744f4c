package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.ViewId;
import org.jgroups.protocols.MERGE3;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
      Map.of(), null, now, WINDOW);
    assertEquals(Set.of(self.toString(), a.toString()), counted);
  }

  @Test
  void aMemberNeverHeardFromDoesNotCount() {
    assertEquals(Set.of(self.toString()),
      LivenessWatch.counted(List.of(self, a), self, Map.of(), Map.of(), null, 0, WINDOW));
  }

  @Test
  void theRuleDoesNotDependOnTheSignOfTheClock() {
    long now = -5 * WINDOW;
    assertEquals(Set.of(self.toString(), a.toString()),
      LivenessWatch.counted(List.of(self, a, b), self, Map.of(a, now - 1, b, now - 3 * WINDOW), Map.of(), null, now,
        WINDOW));
  }

  // The views of a heal before the merge: this node holds {self, a, b}; b announces another view.
  private final ViewId mine = new ViewId(self, 12);
  /** Made by a coordinator that has left since. */
  private final ViewId before = new ViewId(UUID.randomUUID(), 11);
  private final ViewId other = new ViewId(UUID.randomUUID(), 15);

  @Test
  void aMemberThatAnnouncesAnotherViewDoesNotCountThoughItIsHeard() {
    long installed = 0;
    long now = 10 * WINDOW;
    LivenessWatch.Installed view = new LivenessWatch.Installed(mine, before, installed, Set.of(self, a, b));
    Set<String> counted = LivenessWatch.counted(List.of(self, a, b), self, Map.of(a, now, b, now),
      Map.of(a, new LivenessWatch.Announced(mine, now - 1), b, new LivenessWatch.Announced(other, now - 1)), view,
      now, WINDOW);
    assertEquals(Set.of(self.toString(), a.toString()), counted);
  }

  @Test
  void anAnnouncementFromBeforeThisNodesViewIsStaleAndDoesNotDisqualify() {
    long installed = 5 * WINDOW;
    LivenessWatch.Installed view = new LivenessWatch.Installed(mine, before, installed, Set.of(self, a, b));
    assertTrue(LivenessWatch.agrees(new LivenessWatch.Announced(other, installed - WINDOW), view, installed + 3 * WINDOW,
      WINDOW), "arrived before the install");
    assertTrue(LivenessWatch.agrees(new LivenessWatch.Announced(other, installed + LivenessWatch.STALE_NANOS), view,
      installed + 3 * WINDOW, WINDOW), "arrived just after the install: sent before its sender knew");
    assertFalse(LivenessWatch.agrees(new LivenessWatch.Announced(other, installed + LivenessWatch.STALE_NANOS + 1),
      view, installed + 3 * WINDOW, WINDOW), "arrived well after the install");
  }

  @Test
  void aMemberStillOnThePreviousViewCountsOnlyWhileItMayBeInstallingTheNewOne() {
    long installed = 5 * WINDOW;
    LivenessWatch.Installed view = new LivenessWatch.Installed(mine, before, installed, Set.of(self, a, b));
    LivenessWatch.Announced lagging = new LivenessWatch.Announced(before, installed + WINDOW / 2);
    assertTrue(LivenessWatch.agrees(lagging, view, installed + WINDOW, WINDOW));
    assertFalse(LivenessWatch.agrees(lagging, view, installed + WINDOW + 1, WINDOW));
    assertTrue(LivenessWatch.agrees(null, view, installed + 9 * WINDOW, WINDOW), "no announcement: hearing alone");
    assertTrue(LivenessWatch.agrees(new LivenessWatch.Announced(mine, installed + 9 * WINDOW), view,
      installed + 9 * WINDOW, WINDOW));
  }

  @Test
  void aViewMadeByAMemberOfThisNodesViewIsTheSameLineageAndCounts() {
    long installed = 5 * WINDOW;
    LivenessWatch.Installed view = new LivenessWatch.Installed(mine, before, installed, Set.of(self, a, b));
    // A newer view made by this node (a coordinator that has not installed its own view yet) or by a member.
    assertTrue(LivenessWatch.agrees(new LivenessWatch.Announced(new ViewId(self, 13), installed + 9 * WINDOW), view,
      installed + 9 * WINDOW, WINDOW));
    assertTrue(LivenessWatch.agrees(new LivenessWatch.Announced(new ViewId(a, 14), installed + 9 * WINDOW), view,
      installed + 9 * WINDOW, WINDOW));
    assertFalse(LivenessWatch.agrees(new LivenessWatch.Announced(other, installed + 9 * WINDOW), view,
      installed + 9 * WINDOW, WINDOW), "made outside this node's view");
  }

  @Test
  void theViewIsReadFromARealMergeInfoHeader() throws Exception {
    // A header as MERGE3 sends it, built through its own wire form.
    MERGE3.MergeHeader info = MERGE3.MergeHeader.createInfo(other, "n3", null);
    assertEquals(other, LivenessWatch.infoView(info));
    assertEquals(null, LivenessWatch.infoView(MERGE3.MergeHeader.createViewRequest()));
  }
}
