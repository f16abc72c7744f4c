package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonObject;

/**
 * One transition of a node's state machine, as {@link Cloister#stateStream()} emits it and as
 * {@code <prefix>.state} publishes it: {@code {from, to, state}}.
 */
@DataObject
public class StateChange {

  private CloisterStatus from;
  private CloisterStatus to;
  private CloisterState state;

  /** Creates an empty change. */
  public StateChange() {
  }

  /**
   * Creates a change from its JSON form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public StateChange(JsonObject json) {
    String f = json.getString("from");
    String t = json.getString("to");
    from = f == null ? null : CloisterStatus.valueOf(f);
    to = t == null ? null : CloisterStatus.valueOf(t);
    JsonObject s = json.getJsonObject("state");
    state = s == null ? null : new CloisterState(s);
  }

  /**
   * The JSON form of this change.
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    return new JsonObject().put("from", from == null ? null : from.name()).put("to", to == null ? null : to.name())
      .put("state", state == null ? null : state.toJson());
  }

  /** @return the status before the transition */
  public CloisterStatus getFrom() {
    return from;
  }

  /**
   * @param from the status before
   * @return this
   */
  public StateChange setFrom(CloisterStatus from) {
    this.from = from;
    return this;
  }

  /** @return the status after the transition */
  public CloisterStatus getTo() {
    return to;
  }

  /**
   * @param to the status after
   * @return this
   */
  public StateChange setTo(CloisterStatus to) {
    this.to = to;
    return this;
  }

  /** @return the node's state after the transition */
  public CloisterState getState() {
    return state;
  }

  /**
   * @param state the state after
   * @return this
   */
  public StateChange setState(CloisterState state) {
    this.state = state;
    return this;
  }

  @Override
  public String toString() {
    return from + "->" + to;
  }
}
