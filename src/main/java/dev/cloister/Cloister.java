package dev.cloister;

import dev.cloister.impl.CloisterImpl;
import io.vertx.codegen.annotations.Fluent;
import io.vertx.codegen.annotations.GenIgnore;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * One Cloister node: it joins the cluster, waits for {@code consensus} members of its app, and
 * keeps a state machine and a consistent view of the membership on every topology change.
 *
 * <p>Embed it with {@link #create(Vertx, CloisterOptions)} then {@link #start()}, or deploy a
 * {@link CloisterVerticle}. One Cloister runs per Vert.x instance.
 */
@VertxGen
public interface Cloister {

  /**
   * Creates a Cloister for {@code vertx}; nothing happens until {@link #start()}.
   *
   * @param vertx a clustered Vert.x (or a plain one, for a ring of one with consensus 1)
   * @param options the options; validated here
   * @return the Cloister
   * @throws IllegalArgumentException naming an invalid option and its value
   */
  static Cloister create(Vertx vertx, CloisterOptions options) {
    return new CloisterImpl(vertx, options);
  }

  /**
   * The Cloister started in {@code vertx}.
   *
   * @param vertx a Vert.x instance
   * @return its running Cloister
   * @throws IllegalStateException when none is running there
   */
  static Cloister of(Vertx vertx) {
    return CloisterImpl.of(vertx);
  }

  /**
   * Adds a listener of every transition; add it before {@link #start()} to see them all.
   *
   * @param listener the listener
   * @return this
   */
  @Fluent
  @GenIgnore
  Cloister listener(CloisterListener listener);

  /**
   * Starts the node: completes once it is {@code READY} (or {@code NONODE}); fails when the
   * options cannot work, the node name is taken, or {@code startTimeout} passes first.
   *
   * @return the state at {@code READY}
   */
  Future<CloisterState> start();

  /**
   * Leaves gracefully: removes this node's member record first, so the others rehash at once.
   *
   * @return completes at {@code STOPPED}
   */
  Future<Void> close();

  /**
   * A snapshot of this node's state.
   *
   * @return the state now
   */
  CloisterState state();

  /**
   * This node's name on the ring.
   *
   * @return the node name, or {@code null} before the node assembled
   */
  String nodeName();

  /**
   * The number of live members needed to be quorate.
   *
   * @return the consensus
   */
  int consensus();

  /**
   * The live members of this node's group, self included, sorted.
   *
   * @return the sibling names
   */
  List<String> siblings();

  /**
   * Which node of this node's group owns {@code key}: a local lookup, the same answer on every
   * node that sees the same members.
   *
   * @param key a {@code String}, {@code byte[]}, {@code Buffer}, number, {@code UUID},
   *     {@code JsonObject} or {@code JsonArray} (see docs/ring.md for each one's hash)
   * @return the owner's node name
   * @throws CloisterException 400 for a null, empty or unsupported key, 404 when the group has no
   *     live member, 503 when not ready (or below consensus under {@code protect})
   */
  String whois(Object key);

  /**
   * Which node of {@code group} owns {@code key}; any group, from any node.
   *
   * @param group a group
   * @param key the key, as for {@link #whois(Object)}
   * @return the owner's node name
   * @throws CloisterException as {@link #whois(Object)}
   */
  String whois(String group, Object key);

  /**
   * Whether this node owns {@code key} in its group.
   *
   * @param key the key, as for {@link #whois(Object)}
   * @return true when {@link #whois(Object)} names this node
   * @throws CloisterException as {@link #whois(Object)}
   */
  boolean mine(Object key);

  /**
   * The siblings after re-reading the membership (Cloister's {@code siblings!}).
   *
   * @return the sibling names
   */
  Future<List<String>> siblingsRefreshed();
}
