package dev.cloister.netrig;

import dev.cloister.launcher.NodeMain;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One node JVM ({@link NodeMain}) running inside its own network namespace. Its event lines (stdout)
 * and its log lines (stderr) go to the run's {@link History}; commands go to its stdin, so reading
 * the node never rides the data network that the faults act on.
 */
final class RigNode {

  /** Vert.x's blocked-thread warning; group 1 is the thread. */
  private static final Pattern BLOCKED = Pattern.compile("Thread (\\S+) has been blocked for");

  private final String name;
  private final String address;
  private final Process process;
  private final History history;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private final List<String> stderr = new CopyOnWriteArrayList<>();
  /** When its output ended (the JVM exited), wall-clock micros; 0 while it runs. */
  private volatile long exitedAtMicros;
  /** When the last thread dump was taken, ms. */
  private volatile long lastDumpAt;

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
          dumpIfBlocked(line);
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

  /**
   * On Vert.x's blocked-thread warning, records the blocked thread's stack (from {@code jcmd
   * Thread.print}) in the history, once per warning streak: the warning alone names no cause until
   * the thread has been blocked for five seconds.
   */
  private void dumpIfBlocked(String line) {
    Matcher m = BLOCKED.matcher(line);
    long now = System.currentTimeMillis();
    if (!m.find() || now - lastDumpAt < 3_000) {
      return;
    }
    lastDumpAt = now;
    String thread = m.group(1);
    Thread dumper = new Thread(() -> {
      try {
        String dump = threads();
        int at = dump.indexOf("\"" + thread + "\"");
        int end = at < 0 ? -1 : dump.indexOf("\n\n", at);
        // The thread's section, up to the blank line after it or the end; the whole dump if it is not there.
        String stack = at < 0 ? dump : dump.substring(at, end < 0 ? dump.length() : end);
        history.add(System.currentTimeMillis(), name, "threaddump", new JsonObject().put("thread", thread)
          .put("stack", stack));
      } catch (IOException e) {
        history.add(System.currentTimeMillis(), name, "threaddump", new JsonObject().put("failed", e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "netrig-dump-" + name);
    dumper.setDaemon(true);
    dumper.start();
  }

  /**
   * The JVM's threads now ({@code jcmd Thread.print}), recorded whole in the history.
   *
   * @param why what the dump is for, recorded with it
   * @return the dump, or why there is none
   */
  String dumpThreads(String why) {
    if (!process.isAlive()) {
      return "(not running)";
    }
    try {
      String dump = threads();
      history.add(System.currentTimeMillis(), name, "threaddump", new JsonObject().put("why", why).put("stack", dump));
      return dump;
    } catch (IOException e) {
      return "(jcmd failed: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  /** The JVM's threads now, from {@code jcmd Thread.print}. */
  private String threads() throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
      Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
    String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    jcmd.waitFor(20, TimeUnit.SECONDS);
    return dump;
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
