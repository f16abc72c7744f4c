package dev.cloister.impl.fsm;

import dev.cloister.testing.Repository;
import dev.cloister.CloisterStatus;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cloister.CloisterStatus.ASSEMBLING;
import static dev.cloister.CloisterStatus.DOWN;
import static dev.cloister.CloisterStatus.NONODE;
import static dev.cloister.CloisterStatus.READY;
import static dev.cloister.CloisterStatus.REHASHING;
import static dev.cloister.CloisterStatus.STOPPED;
import static dev.cloister.CloisterStatus.STOPPING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransitionsTest {

  @Test
  void aNodeAssemblesRehashesAndBecomesReady() {
    assertEquals(Optional.of(ASSEMBLING), Transitions.next(DOWN, Trigger.START));
    assertEquals(Optional.of(REHASHING), Transitions.next(ASSEMBLING, Trigger.ASSEMBLED));
    assertEquals(Optional.of(READY), Transitions.next(REHASHING, Trigger.QUORUM));
  }

  @Test
  void everyMembershipChangeInReadyPassesThroughRehashing() {
    assertEquals(Optional.of(REHASHING), Transitions.next(READY, Trigger.REHASH));
    assertEquals(Optional.empty(), Transitions.next(READY, Trigger.QUORUM));
    assertEquals(Optional.of(REHASHING), Transitions.next(REHASHING, Trigger.REHASH));
  }

  @Test
  void aNonClusteredNodeGoesToNonodeThroughRehashing() {
    assertEquals(Optional.of(NONODE), Transitions.next(REHASHING, Trigger.NONODE));
    assertEquals(Optional.empty(), Transitions.next(ASSEMBLING, Trigger.NONODE));
    assertEquals(Optional.empty(), Transitions.next(NONODE, Trigger.REHASH));
  }

  @Test
  void everyLiveStateCanStopAndStoppedIsFinal() {
    for (CloisterStatus s : EnumSet.of(DOWN, ASSEMBLING, REHASHING, READY, NONODE)) {
      assertEquals(Optional.of(STOPPING), Transitions.next(s, Trigger.STOP), s.name());
    }
    assertEquals(Optional.of(STOPPED), Transitions.next(STOPPING, Trigger.STOPPED));
    for (Trigger t : Trigger.values()) {
      assertEquals(Optional.empty(), Transitions.next(STOPPED, t), t.name());
    }
  }

  @Test
  void triggersThatDoNotApplyLeaveTheStateAlone() {
    assertEquals(Optional.empty(), Transitions.next(DOWN, Trigger.QUORUM));
    assertEquals(Optional.empty(), Transitions.next(ASSEMBLING, Trigger.QUORUM));
    assertEquals(Optional.empty(), Transitions.next(READY, Trigger.START));
    assertEquals(Optional.empty(), Transitions.next(STOPPING, Trigger.STOP));
  }

  @Test
  void everyStateIsReachableFromDown() {
    Set<CloisterStatus> seen = EnumSet.of(DOWN);
    boolean grew = true;
    while (grew) {
      grew = false;
      for (CloisterStatus s : EnumSet.copyOf(seen)) {
        for (Trigger t : Trigger.values()) {
          Optional<CloisterStatus> n = Transitions.next(s, t);
          if (n.isPresent() && seen.add(n.get())) {
            grew = true;
          }
        }
      }
    }
    assertEquals(EnumSet.allOf(CloisterStatus.class), seen);
  }

  @Test
  void theReadmeDiagramIsTheTransitionTable() throws Exception {
    String readme = Files.readString(Repository.path("README.md"));
    Matcher m = Pattern.compile("```mermaid\\n(graph TD\\n.*?)```", Pattern.DOTALL).matcher(readme);
    assertTrue(m.find(), "README.md has a mermaid state diagram");
    assertEquals(Transitions.mermaid(), m.group(1));
  }
}
