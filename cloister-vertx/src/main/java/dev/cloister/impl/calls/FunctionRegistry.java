package dev.cloister.impl.calls;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The functions this node lets {@code multiapply} run, by name. The only way a message can make
 * code run here: names are never resolved by reflection (that would be remote code execution).
 */
public final class FunctionRegistry {

  private final Map<String, Function<JsonArray, Future<Object>>> functions = new ConcurrentHashMap<>();

  /**
   * Registers {@code function} under {@code name}, replacing any previous one.
   *
   * @param name the name, not empty
   * @param function the function
   * @throws IllegalArgumentException on a missing name or function
   */
  public void register(String name, Function<JsonArray, Future<Object>> function) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("A function needs a name");
    }
    if (function == null) {
      throw new IllegalArgumentException("No function given for " + name);
    }
    functions.put(name, function);
  }

  /**
   * Removes the function registered under {@code name}.
   *
   * @param name the name
   * @return whether there was one
   */
  public boolean unregister(String name) {
    return name != null && functions.remove(name) != null;
  }

  /**
   * The function registered under {@code name}.
   *
   * @param name the name
   * @return the function, or {@code null}
   */
  public Function<JsonArray, Future<Object>> get(String name) {
    return functions.get(name);
  }
}
