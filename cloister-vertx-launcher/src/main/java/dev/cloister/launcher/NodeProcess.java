package dev.cloister.launcher;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A Cloister node in its own JVM ({@link NodeMain}), configured by {@code CLOISTER_*} variables;
 * its transitions are read from its standard output. Used by the local-cluster launcher, the
 * process tests and the benchmarks.
 */
public final class NodeProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final long launchedAt;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final Consumer<String> echo;

  private NodeProcess(String name, Process process, long launchedAt, Consumer<String> echo) {
    this.name = name;
    this.process = process;
    this.launchedAt = launchedAt;
    this.echo = echo;
    Thread pump = new Thread(this::pump, "pump-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Launches a node JVM with this JVM's class path; its output lines other than events are kept.
   *
   * @param name a label for messages
   * @param env the {@code CLOISTER_*} variables
   * @return the running node
   * @throws IOException when the JVM cannot start
   */
  public static NodeProcess launch(String name, Map<String, String> env) throws IOException {
    return launch(name, env, List.of(), line -> { });
  }

  /**
   * Launches a node JVM with this JVM's class path.
   *
   * @param name a label for messages
   * @param env the {@code CLOISTER_*} variables
   * @param jvmOptions extra JVM options
   * @param echo receives every output line that is not an event
   * @return the running node
   * @throws IOException when the JVM cannot start
   */
  public static NodeProcess launch(String name, Map<String, String> env, List<String> jvmOptions,
                                   Consumer<String> echo) throws IOException {
    return launch(NodeMain.class.getName(), name, env, jvmOptions, echo);
  }

  /**
   * Launches a node JVM with this JVM's class path and a main class built on {@link NodeMain} (its
   * events and commands).
   *
   * @param mainClass the main class, {@link NodeMain} or one that runs it with an extension
   * @param name a label for messages
   * @param env the {@code CLOISTER_*} variables
   * @param jvmOptions extra JVM options
   * @param echo receives every output line that is not an event
   * @return the running node
   * @throws IOException when the JVM cannot start
   */
  public static NodeProcess launch(String mainClass, String name, Map<String, String> env, List<String> jvmOptions,
                                   Consumer<String> echo) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-Djava.net.preferIPv4Stack=true"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    String logging = System.getProperty("cloister.test.logging");
    if (logging != null) {
      cmd.add("-Djava.util.logging.config.file=" + logging);
    }
    cmd.add(mainClass);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("CLOISTER_"));
    pb.environment().putAll(env);
    long at = System.currentTimeMillis();
    return new NodeProcess(name, pb.start(), at, echo);
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith(NodeMain.EVENT_PREFIX)) {
          events.add(new JsonObject(line.substring(NodeMain.EVENT_PREFIX.length())));
        } else {
          output.add(line);
          echo.accept(line);
        }
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /** @return the label */
  public String name() {
    return name;
  }

  /** @return the JVM's process id */
  public long pid() {
    return process.pid();
  }

  /** @return when the JVM was launched, epoch ms */
  public long launchedAt() {
    return launchedAt;
  }

  /** @return every event line so far */
  public List<JsonObject> events() {
    return List.copyOf(events);
  }

  /** @return the state of the last transition, or null */
  public JsonObject lastState() {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).containsKey("state")) {
        return events.get(i).getJsonObject("state");
      }
    }
    return null;
  }

  /**
   * Waits for an event that {@code match} accepts, among those after index {@code from}.
   *
   * @param what what is awaited, for the failure message
   * @param from the first event index to consider
   * @param match the condition
   * @return the matching event
   */
  public JsonObject await(String what, int from, Predicate<JsonObject> match) {
    return await(what, from, match, 90_000);
  }

  /**
   * Waits up to {@code timeoutMs} for an event that {@code match} accepts, after index {@code from}.
   *
   * @param what what is awaited, for the failure message
   * @param from the first event index to consider
   * @param match the condition
   * @param timeoutMs how long to wait; {@link Long#MAX_VALUE} for no bound
   * @return the matching event
   * @throws IllegalStateException when none comes
   */
  public JsonObject await(String what, int from, Predicate<JsonObject> match, long timeoutMs) {
    long start = System.currentTimeMillis();
    // Saturated: a bound of Long.MAX_VALUE means no bound, not an overflow into the past.
    long deadline = timeoutMs > Long.MAX_VALUE - start ? Long.MAX_VALUE : start + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      List<JsonObject> now = events();
      for (int i = from; i < now.size(); i++) {
        if (match.test(now.get(i))) {
          return now.get(i);
        }
      }
      if (!process.isAlive() && events.size() == now.size()) {
        break;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException(name + ": never saw " + what + "; events " + events() + "; output tail "
      + output.subList(Math.max(0, output.size() - 30), output.size()));
  }

  /**
   * Waits for a transition to {@code status}.
   *
   * @param status e.g. READY
   * @param from the first event index to consider
   * @return the event
   */
  public JsonObject awaitTransitionTo(String status, int from) {
    return awaitTransitionTo(status, from, 90_000);
  }

  /**
   * Waits up to {@code timeoutMs} for a transition to {@code status}.
   *
   * @param status e.g. READY
   * @param from the first event index to consider
   * @param timeoutMs how long to wait
   * @return the event
   */
  public JsonObject awaitTransitionTo(String status, int from, long timeoutMs) {
    return await("a transition to " + status, from, e -> status.equals(e.getString("to")), timeoutMs);
  }

  /** Sends SIGTERM, as {@code docker stop} and Kubernetes do: shutdown hooks run; does not wait. */
  public void sigterm() {
    // Through the handle: Process.destroy() would also close the pipes, losing what the node
    // prints while it shuts down.
    process.toHandle().destroy();
  }

  /** @return every output line so far that is not an event (the node's log) */
  public List<String> output() {
    return List.copyOf(output);
  }

  /** Kills the JVM with SIGKILL ({@code kill -9}): no shutdown hook runs. */
  public void kill9() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Asks the node to leave gracefully and waits for its JVM to end.
   *
   * @return whether it ended in time
   */
  public boolean stop() {
    try {
      OutputStream in = process.getOutputStream();
      in.write("stop\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
      return process.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
      return false;
    }
  }

  /**
   * Sends one command line to the node's standard input (see {@link NodeMain}).
   *
   * @param command e.g. {@code state}
   * @return false when the node no longer reads commands
   */
  public boolean send(String command) {
    try {
      OutputStream in = process.getOutputStream();
      in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Asks the node to leave gracefully without waiting.
   */
  public void requestStop() {
    try {
      OutputStream in = process.getOutputStream();
      in.write("stop\n".getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      process.destroy();
    }
  }

  /**
   * Waits for the JVM to end, killing it after {@code seconds}.
   *
   * @param seconds how long to wait
   */
  public void awaitExit(long seconds) {
    try {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** @return whether the JVM runs */
  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
