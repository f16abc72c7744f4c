package dev.cloister;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.codegen.annotations.Nullable;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One node's answer to a {@code multicall} or {@code multiapply}: either its reply body, or its
 * own failure (no consumer there, a timeout, a failure reply), never both.
 *
 * <p>Failure codes: the code of the consumer's or function's failure reply; {@code 404} when
 * the node is unknown, has no consumer for the address or no function of that name; {@code 504}
 * on a timeout; {@code 400} when the node rejected the call as malformed; {@code 503} when it
 * was stopping; {@code 500} for any other error.
 */
@DataObject
public class NodeReply {

  private String node;
  private boolean succeeded;
  private Object body;
  private ReplyFailure failure;
  private int failureCode;
  private String failureMessage;

  /** Creates an empty reply. */
  public NodeReply() {
  }

  /**
   * Creates a reply from its JSON form; a body that is not JSON (a custom codec's type) is
   * not part of that form.
   *
   * @param json the JSON form, as produced by {@link #toJson()}
   */
  public NodeReply(JsonObject json) {
    node = json.getString("node");
    succeeded = json.getBoolean("succeeded", false);
    body = json.getValue("body");
    String f = json.getString("failure");
    failure = f == null ? null : ReplyFailure.valueOf(f);
    failureCode = json.getInteger("failureCode", 0);
    failureMessage = json.getString("failureMessage");
  }

  /**
   * A successful reply.
   *
   * @param node the node that replied
   * @param body its reply body
   * @return a new reply
   */
  public static NodeReply success(String node, Object body) {
    return new NodeReply().setNode(node).setSucceeded(true).setBody(body);
  }

  /**
   * A failed reply.
   *
   * @param node the node concerned
   * @param failure the kind of failure
   * @param code the failure code
   * @param message what went wrong
   * @return a new reply
   */
  public static NodeReply failure(String node, ReplyFailure failure, int code, String message) {
    return new NodeReply().setNode(node).setSucceeded(false).setFailure(failure).setFailureCode(code)
      .setFailureMessage(message);
  }

  /**
   * The JSON form; the body is included only when it is JSON itself (object, array, string,
   * number, boolean, or a buffer, which JSON carries as base64).
   *
   * @return a new JSON object
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("node", node).put("succeeded", succeeded);
    if (body instanceof JsonObject || body instanceof JsonArray || body instanceof String
      || body instanceof Number || body instanceof Boolean || body instanceof Buffer) {
      json.put("body", body);
    }
    if (!succeeded) {
      json.put("failure", failure == null ? null : failure.name())
        .put("failureCode", failureCode)
        .put("failureMessage", failureMessage);
    }
    return json;
  }

  /** @return the name of the node this reply is from */
  public String getNode() {
    return node;
  }

  /**
   * @param node the node name
   * @return this
   */
  public NodeReply setNode(String node) {
    this.node = node;
    return this;
  }

  /** @return whether the node replied without failure */
  public boolean isSucceeded() {
    return succeeded;
  }

  /**
   * @param succeeded whether it succeeded
   * @return this
   */
  public NodeReply setSucceeded(boolean succeeded) {
    this.succeeded = succeeded;
    return this;
  }

  /** @return the reply body as the node's consumer sent it, or {@code null} on failure */
  public @Nullable Object getBody() {
    return body;
  }

  /**
   * @param body the reply body
   * @return this
   */
  public NodeReply setBody(@Nullable Object body) {
    this.body = body;
    return this;
  }

  /** @return the kind of failure ({@code NO_HANDLERS}, {@code TIMEOUT}, {@code RECIPIENT_FAILURE}, {@code ERROR}), or {@code null} on success */
  public @Nullable ReplyFailure getFailure() {
    return failure;
  }

  /**
   * @param failure the kind of failure
   * @return this
   */
  public NodeReply setFailure(@Nullable ReplyFailure failure) {
    this.failure = failure;
    return this;
  }

  /** @return the failure code (see the class description), or 0 on success */
  public int getFailureCode() {
    return failureCode;
  }

  /**
   * @param failureCode the failure code
   * @return this
   */
  public NodeReply setFailureCode(int failureCode) {
    this.failureCode = failureCode;
    return this;
  }

  /** @return what went wrong, or {@code null} on success */
  public @Nullable String getFailureMessage() {
    return failureMessage;
  }

  /**
   * @param failureMessage what went wrong
   * @return this
   */
  public NodeReply setFailureMessage(@Nullable String failureMessage) {
    this.failureMessage = failureMessage;
    return this;
  }

  @Override
  public String toString() {
    return succeeded ? node + ": " + body : node + ": " + failure + " " + failureCode + " " + failureMessage;
  }
}
