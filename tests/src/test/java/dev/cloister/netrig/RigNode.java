package dev.cloister.netrig;

import dev.cloister.launcher.NodeMain;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One node JVM ({@link NodeMain}) running inside its own network namespace. Its event lines (stdout)
 * and its log lines (stderr) go to the run's {@link History}; commands go to its stdin, so reading
 * the node never rides the data network that the faults act on.
 */
final class RigNode {

  private final String name;
  private final String address;
  private final Process process;
  private final History history;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();
  /** When its output ended (the JVM exited), wall-clock micros; 0 while it runs. */
  private volatile long exitedAtMicros;

  RigNode(String name, String address, Process process, History history) {
    this.name = name;
    this.address = address;
    this.process = process;
    this.history = history;
    Thread out = new Thread(() -> pump(process.getInputStream(), true), "netrig-out-" + name);
    Thread err = new Thread(() -> pump(process.getErrorStream(), false), "netrig-err-" + name);
    out.setDaemon(true);
    err.setDaemon(true);
    out.start();
    err.start();
  }

  private void pump(InputStream stream, boolean events) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (events && line.startsWith(NodeMain.EVENT_PREFIX)) {
          JsonObject e = new JsonObject(line.substring(NodeMain.EVENT_PREFIX.length()));
          this.events.add(e);
          String kind = e.containsKey("to") ? "transition" : e.getString("event", "event");
          history.add(e.getLong("at", System.currentTimeMillis()), name, kind, e);
        } else if (!events) {
          stderr.add(line);
          history.add(System.currentTimeMillis(), name, "stderr", new JsonObject().put("line", line));
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // the process ended, or printed a broken line while dying
    }
    if (events) {
      exitedAtMicros = RigWorkersMain.micros();
      history.add(System.currentTimeMillis(), name, "exit", new JsonObject());
    }
  }

  /** @return the node name */
  String name() {
    return name;
  }

  /** @return its data-network address */
  String address() {
    return address;
  }

  /** @return the JVM's pid ({@code ip netns exec} execs it) */
  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** @return when the JVM's output ended, wall-clock micros, or 0 while it runs */
  long exitedAtMicros() {
    return exitedAtMicros;
  }

  /** @return every event so far */
  List<JsonObject> events() {
    return List.copyOf(events);
  }

  /** @return every stderr line so far */
  List<String> stderr() {
    return List.copyOf(stderr);
  }

  /**
   * Sends one command line.
   *
   * @param command the line
   * @return false when the node no longer reads its input
   */
  boolean send(String command) {
    try {
      OutputStream in = process.getOutputStream();
      synchronized (this) {
        in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Sends a command and waits for the first event of {@code event} printed after it.
   *
   * @param command the command line
   * @param event the event awaited
   * @param timeoutMs how long to wait
   * @return the event, or null
   */
  JsonObject ask(String command, String event, long timeoutMs) {
    int from = events.size();
    if (!send(command)) {
      return null;
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      for (int i = from; i < events.size(); i++) {
        if (event.equals(events.get(i).getString("event"))) {
          return events.get(i);
        }
      }
      Rig.pause(10);
    }
    return null;
  }

  /** @return the state of the newest transition or sample, or null */
  JsonObject lastState() {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).containsKey("state")) {
        return events.get(i).getJsonObject("state");
      }
    }
    return null;
  }

  /**
   * Sends a POSIX signal to the JVM.
   *
   * @param signal e.g. {@code STOP}
   */
  void signal(String signal) {
    Rig.run(List.of("kill", "-" + signal, Long.toString(pid())));
  }

  /** Leaves gracefully ({@code stop}), waiting for the JVM to exit; kills it if it does not. */
  void stop() {
    send("stop");
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  /** Kills the JVM at once (SIGKILL also ends a stopped one) and waits for it. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
