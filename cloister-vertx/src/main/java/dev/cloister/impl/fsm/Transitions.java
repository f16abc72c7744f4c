package dev.cloister.impl.fsm;

import dev.cloister.CloisterStatus;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static dev.cloister.CloisterStatus.ASSEMBLING;
import static dev.cloister.CloisterStatus.DOWN;
import static dev.cloister.CloisterStatus.NONODE;
import static dev.cloister.CloisterStatus.READY;
import static dev.cloister.CloisterStatus.REHASHING;
import static dev.cloister.CloisterStatus.STOPPED;
import static dev.cloister.CloisterStatus.STOPPING;

/**
 * The whole state machine of a Cloister node, as one table; it reads like the diagram in README,
 * and a test checks that the diagram is {@link #mermaid()}.
 *
 * <p>Departures from Cloister's Finitomata machine: a membership change in {@code READY} always
 * goes through {@code REHASHING} (a visible rehash barrier) instead of {@code READY → READY}; a
 * node may be stopped while {@code DOWN} or {@code ASSEMBLING} (a start that times out or is
 * refused); {@code NONODE} is final until stop, because a Vert.x instance never becomes clustered.
 */
public final class Transitions {

  private static final Map<CloisterStatus, Map<Trigger, CloisterStatus>> TABLE = table();

  private Transitions() {
  }

  private static Map<CloisterStatus, Map<Trigger, CloisterStatus>> table() {
    Map<CloisterStatus, Map<Trigger, CloisterStatus>> t = new EnumMap<>(CloisterStatus.class);
    on(t, DOWN, Trigger.START, ASSEMBLING);
    on(t, DOWN, Trigger.STOP, STOPPING);
    on(t, ASSEMBLING, Trigger.ASSEMBLED, REHASHING);
    on(t, ASSEMBLING, Trigger.STOP, STOPPING);
    on(t, REHASHING, Trigger.NONODE, NONODE);
    on(t, REHASHING, Trigger.REHASH, REHASHING);
    on(t, REHASHING, Trigger.QUORUM, READY);
    on(t, REHASHING, Trigger.STOP, STOPPING);
    on(t, READY, Trigger.REHASH, REHASHING);
    on(t, READY, Trigger.STOP, STOPPING);
    on(t, NONODE, Trigger.STOP, STOPPING);
    on(t, STOPPING, Trigger.STOPPED, STOPPED);
    t.replaceAll((k, v) -> Collections.unmodifiableMap(v));
    return Collections.unmodifiableMap(t);
  }

  private static void on(Map<CloisterStatus, Map<Trigger, CloisterStatus>> t, CloisterStatus from, Trigger trigger,
                         CloisterStatus to) {
    t.computeIfAbsent(from, k -> new LinkedHashMap<>()).put(trigger, to);
  }

  /**
   * Where {@code trigger} leads from {@code from}.
   *
   * @param from the current status
   * @param trigger what happened
   * @return the next status, or empty when the trigger does not apply in {@code from}
   */
  public static Optional<CloisterStatus> next(CloisterStatus from, Trigger trigger) {
    return Optional.ofNullable(TABLE.getOrDefault(from, Map.of()).get(trigger));
  }

  /**
   * The table as a Mermaid {@code graph TD}, the form of Cloister's documentation.
   *
   * @return the diagram's source, one arrow a line
   */
  public static String mermaid() {
    StringBuilder sb = new StringBuilder("graph TD\n");
    TABLE.forEach((from, arrows) -> arrows.forEach((trigger, to) ->
      sb.append("    ").append(lower(from)).append(" --> |").append(trigger.label()).append("| ")
        .append(lower(to)).append('\n')));
    return sb.toString();
  }

  private static String lower(CloisterStatus s) {
    return s.name().toLowerCase(java.util.Locale.ROOT);
  }
}
