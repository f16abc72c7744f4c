package dev.cloister.impl;

import dev.cloister.CloisterException;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The worker sets running on a node and how many keys each runs there: what the node answers on
 * {@code <prefix>.worksets} for the dashboard of any node. Thread-safe.
 */
public final class WorkSets {

  private final Map<String, IntSupplier> sets = new ConcurrentHashMap<>();

  /**
   * The address on which every node answers {@link #here()}.
   *
   * @param prefix the node's address prefix
   * @return the address
   */
  public static String address(String prefix) {
    return prefix + ".worksets";
  }

  /**
   * Lists a worker set that runs on this node: one set of a name per node, as two would each run
   * the keys this node owns.
   *
   * @param name the set's name
   * @param running how many of its keys run here now; read from any thread
   * @return removes it from the list
   * @throws CloisterException 409 when a set of that name is already open or closing on this node
   */
  public Runnable list(String name, IntSupplier running) {
    if (sets.putIfAbsent(name, running) != null) {
      throw new CloisterException(CloisterException.CONFLICT, "Worker set '" + name
        + "' is already open on this node (or still closing): close it before starting it again");
    }
    return () -> sets.remove(name, running);
  }

  /** @return set name → keys running here, sorted by name */
  public JsonObject here() {
    JsonObject out = new JsonObject();
    new TreeMap<>(sets).forEach((name, running) -> out.put(name, running.getAsInt()));
    return out;
  }
}
