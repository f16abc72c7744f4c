package examples;

import dev.cloister.CloisterListener;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Cloister's mnesia example in Vert.x terms: a cache of derived data that each node keeps for
 * the keys it owns, rebuilt whenever the ring changes. On every return to {@code READY} the node
 * drops the entries it no longer owns and loads those it now owns; the sentry (the oldest member,
 * the same on every node) could also do cluster-wide chores once per topology change.
 *
 * <p>Use it as {@code new CloisterVerticle(options, new RebuildOnTopologyChange(keys, loader, ownership))}.
 */
public final class RebuildOnTopologyChange implements CloisterListener {

  private final Iterable<String> keys;
  private final Function<String, String> loader;
  private final Function<String, Boolean> mine;
  private final Map<String, String> cache = new ConcurrentHashMap<>();

  /**
   * Creates the listener.
   *
   * @param keys every key of the data set
   * @param loader loads the value of a key (from a database, say)
   * @param mine whether this node owns a key, usually {@code Cloister.of(vertx)::mine}
   */
  public RebuildOnTopologyChange(Iterable<String> keys, Function<String, String> loader,
                                 Function<String, Boolean> mine) {
    this.keys = keys;
    this.loader = loader;
    this.mine = mine;
  }

  @Override
  public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
    if (to != CloisterStatus.READY) {
      return; // REHASHING: the ring is about to change; keep serving what we have
    }
    cache.keySet().removeIf(key -> !mine.apply(key));
    for (String key : keys) {
      if (mine.apply(key)) {
        cache.computeIfAbsent(key, loader);
      }
    }
    if (state.getNode().equals(state.getSentry())) {
      System.out.println("sentry " + state.getNode() + ": ring " + state.getChecksum() + " with "
        + state.getMembers().size() + " members");
    }
  }

  /**
   * The cached value of a key this node owns.
   *
   * @param key the key
   * @return the value, or {@code null} when not cached here
   */
  public String get(String key) {
    return cache.get(key);
  }
}
