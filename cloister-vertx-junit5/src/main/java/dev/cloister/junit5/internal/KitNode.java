package dev.cloister.junit5.internal;

import dev.cloister.CloisterState;
import dev.cloister.junit5.CloisterNode;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** What both kinds of node share: index, name, whether it is up, its transitions. */
abstract class KitNode implements CloisterNode {

  /** Transitions kept per node, for failure messages and {@link #transitions()}. */
  private static final int KEPT = 200;

  final int index;
  final String name;
  volatile boolean up;
  private final List<String> transitions = new CopyOnWriteArrayList<>();

  KitNode(int index) {
    this.index = index;
    this.name = "node" + index;
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isUp() {
    return up;
  }

  @Override
  public List<String> transitions() {
    return List.copyOf(transitions);
  }

  void recordTransition(String from, String to, CloisterState state) {
    if (transitions.size() >= KEPT) {
      transitions.remove(0);
    }
    transitions.add(from + "->" + to + " members " + (state == null ? "?" : state.memberNames()));
  }

  /** @return one line: name, up or not, status, members and checksum */
  String line() {
    CloisterState s = state();
    String now = s == null ? "no state yet"
      : s.getStatus() + (s.isQuorate() ? "" : " (not quorate)") + " members " + s.memberNames() + " checksum " + s.getChecksum();
    List<String> t = transitions();
    return name + (up ? "" : " [down]") + ": " + now + "; last transitions " + t.subList(Math.max(0, t.size() - 5), t.size());
  }
}
