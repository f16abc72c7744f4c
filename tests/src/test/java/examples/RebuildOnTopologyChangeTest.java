package examples;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The mnesia example on three nodes: the listener is built before Cloister runs, each node ends
 * up caching exactly the keys it owns, the loader never runs on an event loop, and when a node
 * leaves the survivors take over its keys.
 */
class RebuildOnTopologyChangeTest {

  private static final List<String> KEYS = new ArrayList<>();

  static {
    for (int i = 0; i < 60; i++) {
      KEYS.add("product:" + i);
    }
  }

  private final List<Vertx> nodes = new ArrayList<>();
  private final Map<Vertx, RebuildOnTopologyChange> caches = new ConcurrentHashMap<>();
  private final AtomicInteger loadsOnEventLoop = new AtomicInteger();
  private final AtomicInteger loads = new AtomicInteger();

  @AfterEach
  void tearDown() {
    nodes.forEach(v -> InJvmCluster.await(v.close()));
  }

  /** A loader that, like a database call, must not run on an event loop. */
  private String load(String key) {
    loads.incrementAndGet();
    if (Context.isOnEventLoopThread()) {
      loadsOnEventLoop.incrementAndGet();
    }
    return "value of " + key;
  }

  private Vertx start(CloisterOptions options) {
    Vertx vertx = InJvmCluster.await(Vertx.builder().withClusterManager(new CloisterClusterManager(options)).buildClustered());
    nodes.add(vertx);
    // Built before the deployment, as the class documents: no Cloister exists yet.
    RebuildOnTopologyChange cache = new RebuildOnTopologyChange(vertx, KEYS, this::load);
    caches.put(vertx, cache);
    vertx.deployVerticle(new CloisterVerticle(options, cache));
    return vertx;
  }

  private static Set<String> owned(Vertx vertx) {
    Cloister cloister = Cloister.of(vertx);
    Set<String> owned = new TreeSet<>();
    KEYS.forEach(k -> {
      if (cloister.mine(k)) {
        owned.add(k);
      }
    });
    return owned;
  }

  private boolean eachCachesWhatItOwns(int members) {
    Set<String> union = new HashSet<>();
    for (Vertx v : nodes) {
      try {
        if (Cloister.of(v).state().getMembers().size() != members || !caches.get(v).cachedKeys().equals(owned(v))) {
          return false;
        }
      } catch (IllegalStateException notStartedYet) {
        return false;
      }
      union.addAll(caches.get(v).cachedKeys());
    }
    return union.size() == KEYS.size();
  }

  private Object observed() {
    List<Object> seen = new ArrayList<>();
    for (Vertx v : nodes) {
      try {
        seen.add(Cloister.of(v).nodeName() + " " + Cloister.of(v).state().getStatus() + " cached "
          + caches.get(v).cachedKeys().size() + " owns " + owned(v).size());
      } catch (IllegalStateException notStartedYet) {
        seen.add("not started");
      }
    }
    return seen;
  }

  @Test
  void eachNodeCachesWhatItOwnsAndTheSurvivorsTakeOverALeaversKeys() {
    InJvmCluster ports = new InJvmCluster(3);
    for (int i = 0; i < 3; i++) {
      start(ports.options(i, 2).setApp("mnesia"));
    }
    eventually("three nodes, each caching exactly the keys it owns", () -> eachCachesWhatItOwns(3), this::observed);
    assertEquals("value of product:7", nodes.stream().map(v -> caches.get(v).get("product:7"))
      .filter(java.util.Objects::nonNull).findFirst().orElse(null));

    Vertx leaver = nodes.remove(2);
    InJvmCluster.await(leaver.close());
    eventually("the two survivors cache every key between them", () -> eachCachesWhatItOwns(2), this::observed);

    assertEquals(0, loadsOnEventLoop.get(), "loads on an event loop, of " + loads.get());
  }
}
