package dev.cloister.impl.transport;

import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

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

  /** The protocol itself, on a clock the test moves, fed as the transport feeds it. */
  private static final class Fed {
    final AtomicLong clock = new AtomicLong(1_000 * WINDOW);
    final LivenessWatch watch = new LivenessWatch(clock::get);
    final View view;

    Fed(Address self, Address... others) {
      watch.setAddress(self);
      watch.setUpProtocol(new Protocol() {
        @Override
        public Object up(Event evt) {
          return null;
        }

        @Override
        public Object up(Message msg) {
          return null;
        }

        @Override
        public void up(MessageBatch batch) {
        }
      });
      List<Address> members = new ArrayList<>(List.of(self));
      members.addAll(List.of(others));
      view = new View(new ViewId(self, 1), members);
      watch.up(new Event(Event.VIEW_CHANGE, view));
    }

    /** A message from {@code from} as a heartbeat or a message to all carries it: with its views. */
    Message withViews(Address from) {
      return new EmptyMessage(null).setSrc(from)
        .putHeader(LivenessWatch.PROTOCOL_ID, new LivenessWatch.ViewsHeader(new LivenessWatch.Installed(view.getViewId(), null)));
    }

    /** A unicast from {@code from} as MERGE3 or an acknowledgement sends it: no views. */
    Message without(Address from) {
      return new EmptyMessage(watch.getAddress()).setSrc(from);
    }

    void after(double windows) {
      clock.addAndGet((long) (windows * WINDOW));
    }

    Set<String> counted() {
      return watch.heardWithin(WINDOW / 1_000_000);
    }
  }

  @Test
  void onlyAMessageShowingItsSendersViewsCountsAsHearingFromIt() {
    // A member whose view left this node out stops sending it heartbeats and messages to all but
    // not unicasts; those must not keep it counting on the views it showed before it left (seen on
    // the rig: a second quorate ring for 4.7 s after a heal).
    Fed fed = new Fed(self, a, b);
    assertEquals(Set.of(self.toString(), a.toString(), b.toString()), fed.counted(), "new to the view: counted at once");
    fed.after(0.5);
    fed.watch.up(fed.withViews(a));
    fed.watch.up(fed.withViews(b));
    fed.after(0.9);
    fed.watch.up(fed.withViews(a));
    fed.watch.up(fed.without(b));
    fed.after(0.6);
    assertEquals(Set.of(self.toString(), a.toString()), fed.counted(), "b showed its views 1.5 windows ago");
    fed.watch.up(fed.withViews(b));
    assertEquals(Set.of(self.toString(), a.toString(), b.toString()), fed.counted(), "b showed them again");
  }

  @Test
  void aBatchCountsAsHearingFromItsSenderOnlyWhenOneOfItsMessagesShowsTheViews() {
    Fed fed = new Fed(self, a);
    fed.after(1.5);
    fed.watch.up(new MessageBatch(self, a, null, false, List.of(fed.without(a), fed.without(a))));
    assertEquals(Set.of(self.toString()), fed.counted(), "a batch of unicasts without views");
    fed.watch.up(new MessageBatch(null, a, null, true, List.of(fed.without(a), fed.withViews(a))));
    assertEquals(Set.of(self.toString(), a.toString()), fed.counted(), "one message of the batch shows them");
  }
}
