package dev.cloister.impl;

import dev.cloister.CloisterException;
import dev.cloister.CloisterStatus;
import dev.cloister.QuorumLossPolicy;
import dev.cloister.impl.ring.KeyHash;
import dev.cloister.impl.ring.Rings;
import io.vertx.core.json.JsonObject;

/**
 * Who owns a key, answered from one immutable value replaced on every change: the rings, the
 * status and quorum they were published with, and the policy for answering below consensus.
 * Safe to read from any thread.
 *
 * @param rings the installed rings
 * @param status the node's status when published
 * @param quorate whether the membership had at least {@code consensus} members
 * @param node this node's name, or {@code null} before it has one
 * @param group this node's group
 * @param consensus the consensus, for messages
 * @param policy what to answer below consensus while rehashing
 */
record Ownership(Rings rings, CloisterStatus status, boolean quorate, String node, String group, int consensus,
                 QuorumLossPolicy policy) {

  /**
   * The same rings seen by a node that suspects itself: not quorate, and no longer READY.
   *
   * @return the suspected ownership
   */
  Ownership suspected() {
    CloisterStatus s = status == CloisterStatus.READY ? CloisterStatus.REHASHING : status;
    return new Ownership(rings, s, false, node, group, consensus, policy);
  }

  /**
   * The owner of a key.
   *
   * @param group the group; {@code null} is a bad request
   * @param key the key
   * @return the owning node's name
   * @throws CloisterException when the node cannot answer
   */
  String whois(String group, Object key) {
    return ring(group, key).ring().owner(hashOf(key));
  }

  /**
   * Whether this node owns a key in its own group.
   *
   * @param key the key
   * @return true when this node owns it
   */
  boolean mine(Object key) {
    return ring(group, key).ring().owner(hashOf(key)).equals(node);
  }

  /**
   * Answers a whois with the ring's version, as the event bus replies.
   *
   * @param group the group, or {@code null} for this node's
   * @param key the key
   * @return {@code {node, group, ringVersion}}
   */
  JsonObject reply(String group, Object key) {
    String g = group == null ? this.group : group;
    Rings.Versioned v = ring(g, key);
    return new JsonObject().put("node", v.ring().owner(hashOf(key))).put("group", g).put("ringVersion", v.version());
  }

  private Rings.Versioned ring(String group, Object key) {
    switch (status) {
      case READY, NONODE -> { }
      case REHASHING -> {
        if (!quorate && policy == QuorumLossPolicy.PROTECT) {
          throw new CloisterException(CloisterException.NO_QUORUM, "Below consensus " + consensus
            + " and quorumLossPolicy is protect: ownership is not answered until quorum returns");
        }
      }
      default -> throw new CloisterException(CloisterException.NO_QUORUM, "Not ready: the node is " + status);
    }
    if (key == null || (key instanceof String k && k.isEmpty())) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "The key must not be null or empty");
    }
    if (group == null) {
      throw new CloisterException(CloisterException.BAD_REQUEST, "The group must not be null");
    }
    Rings.Versioned v = rings.group(group);
    if (v == null || v.ring().isEmpty()) {
      throw new CloisterException(CloisterException.NOT_FOUND, "Group '" + group + "' has no live member");
    }
    return v;
  }

  private static long hashOf(Object key) {
    try {
      return KeyHash.hash(key);
    } catch (IllegalArgumentException e) {
      throw new CloisterException(CloisterException.BAD_REQUEST, e.getMessage());
    }
  }
}
