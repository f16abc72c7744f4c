package dev.cloister.impl.calls;

import io.vertx.core.MultiMap;

/**
 * The wire protocol between a caller's {@link SiblingCalls} and a target node's {@link NodeInbox}:
 * header names, operations and limits, declared once so both sides agree.
 *
 * <p>A request to {@code <prefix>.node.<vertxNodeId>} carries {@link #OP}, {@link #TARGET} and,
 * for requests, {@link #TIMEOUT}; the body is passed through untouched. The inbox answers a
 * relayed outcome as a normal reply with {@link #OUTCOME} (and {@link #CODE} on failure, the
 * message as the body), so that "no consumer" and "timed out" on the target survive the hop;
 * what the inbox itself rejects is a failure reply with a code (400, 404, 503, 500).
 *
 * <p>A consumer registered through Cloister also listens on its {@link #direct} alias; a call
 * is sent there first, with the user's headers only, and falls back to the inbox when the alias
 * has no consumer.
 */
public final class CallProtocol {

  /** Header: the operation, one of {@link #CALL}, {@link #CAST}, {@link #APPLY}. */
  public static final String OP = "cloister.op";
  /** Header: the target address (call, cast) or function name (apply). */
  public static final String TARGET = "cloister.target";
  /** Header: how long the target may take, in ms. */
  public static final String TIMEOUT = "cloister.timeout";
  /** Header: the codec name for the body on the local hop. */
  public static final String CODEC = "cloister.codec";
  /** Reply header: {@link #OK} or the name of a {@code ReplyFailure}. */
  public static final String OUTCOME = "cloister.outcome";
  /** Reply header: the failure code when the outcome is a failure. */
  public static final String CODE = "cloister.code";
  /** The outcome of a successful relay. */
  public static final String OK = "OK";

  /** Operation: a request to a consumer of the target address on that node. */
  public static final String CALL = "call";
  /** Operation: a publish to the consumers of the target address on that node. */
  public static final String CAST = "cast";
  /** Operation: run the function registered under the target name on that node. */
  public static final String APPLY = "apply";

  /**
   * The failure code a direct alias answers with once its consumer is unregistered: the caller
   * then goes through the inbox. The alias keeps answering so for {@link #RETIRE_GRACE} ms, while
   * the other nodes may still route to it, so that no call waits for its timeout.
   */
  public static final int RETIRED = -410;
  /** How long a retired alias keeps answering {@link #RETIRED}, in ms. */
  public static final long RETIRE_GRACE = 5_000L;

  /** The node id in the node-scoped addresses of a node whose Vert.x is not clustered. */
  public static final String UNCLUSTERED_NODE_ID = "nonode";

  /** Prefix of every header this protocol reserves; users' headers with it are dropped. */
  public static final String RESERVED = "cloister.";
  /** Largest body an inbox accepts, in bytes (or characters for a string): 1 MiB. */
  public static final int MAX_BODY = 1024 * 1024;
  /** Longest timeout an inbox accepts: one day, so that a bad header cannot pin a timer forever. */
  public static final long MAX_TIMEOUT = 86_400_000L;
  /**
   * How much longer the caller waits than the target: the target's own timeout then arrives as
   * a clean per-node 504 before the caller gives up on a silent node.
   */
  public static final long CALLER_GRACE = 1_000L;

  private CallProtocol() {
  }

  /**
   * The node-scoped address of the inbox of a node.
   *
   * @param prefix the address prefix
   * @param nodeId the node's Vert.x cluster node id
   * @return the address
   */
  public static String inbox(String prefix, String nodeId) {
    return prefix + ".node." + nodeId;
  }

  /**
   * The node-scoped alias of a consumer registered through Cloister: a {@code multicall} to that
   * node requests it directly, with no hop through the inbox.
   *
   * @param prefix the address prefix
   * @param nodeId the node's Vert.x cluster node id
   * @param address the consumer's address
   * @return the alias
   */
  public static String direct(String prefix, String nodeId, String address) {
    return inbox(prefix, nodeId) + ".to." + address;
  }

  /**
   * The headers of {@code headers} that are not reserved, for the consumer on the other side.
   *
   * @param headers message headers
   * @return a new multimap
   */
  static MultiMap userHeaders(MultiMap headers) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (var e : headers) {
      if (!e.getKey().regionMatches(true, 0, RESERVED, 0, RESERVED.length())) {
        out.add(e.getKey(), e.getValue());
      }
    }
    return out;
  }
}
