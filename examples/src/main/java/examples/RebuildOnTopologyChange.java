package examples;

import dev.cloister.Cloister;
import dev.cloister.CloisterListener;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Cloister's mnesia example in Vert.x terms: a cache of derived data that each node keeps for
 * the keys it owns, rebuilt whenever the ring changes. On every return to {@code READY} the node
 * drops the entries it no longer owns and loads those it now owns; the sentry (the oldest member,
 * the same on every node) could also do cluster-wide chores once per topology change.
 *
 * <pre>{@code
 * RebuildOnTopologyChange cache = new RebuildOnTopologyChange(vertx, keys, database::load);
 * vertx.deployVerticle(new CloisterVerticle(options, cache));
 * }</pre>
 *
 * <p>The loader may block (a database call): it runs on a worker thread, never on the event loop.
 * The Cloister is looked up when the ring changes, not when the listener is built: before the
 * verticle is deployed there is no Cloister to ask.
 */
public final class RebuildOnTopologyChange implements CloisterListener {

  private final Vertx vertx;
  private final Iterable<String> keys;
  private final Function<String, String> loader;
  private final Map<String, String> cache = new ConcurrentHashMap<>();
  private volatile Future<Integer> lastRebuild = Future.succeededFuture(0);

  /**
   * Creates the listener.
   *
   * @param vertx the Vert.x instance the Cloister runs in
   * @param keys every key of the data set
   * @param loader loads the value of a key (from a database, say); may block
   */
  public RebuildOnTopologyChange(Vertx vertx, Iterable<String> keys, Function<String, String> loader) {
    this.vertx = vertx;
    this.keys = keys;
    this.loader = loader;
  }

  @Override
  public void onStateChange(CloisterStatus from, CloisterStatus to, CloisterState state) {
    if (to != CloisterStatus.READY) {
      return; // REHASHING: the ring is about to change; keep serving what we have
    }
    Cloister cloister = Cloister.of(vertx);
    // Ownership is a local lookup: decide on the event loop, load on a worker.
    cache.keySet().removeIf(key -> !cloister.mine(key));
    List<String> missing = new ArrayList<>();
    for (String key : keys) {
      if (cloister.mine(key) && !cache.containsKey(key)) {
        missing.add(key);
      }
    }
    lastRebuild = vertx.executeBlocking(() -> {
      Map<String, String> loaded = new ConcurrentHashMap<>();
      for (String key : missing) {
        loaded.put(key, loader.apply(key));
      }
      return loaded;
    }, false).map(loaded -> {
      // Back on the node's context: the ring may have moved again while loading.
      loaded.forEach((key, value) -> {
        if (cloister.mine(key)) {
          cache.put(key, value);
        }
      });
      return loaded.size();
    });
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

  /** @return the keys cached on this node */
  public Set<String> cachedKeys() {
    return Set.copyOf(cache.keySet());
  }

  /** @return the last rebuild, with how many values it loaded */
  public Future<Integer> lastRebuild() {
    return lastRebuild;
  }
}
