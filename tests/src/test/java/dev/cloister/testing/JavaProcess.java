package dev.cloister.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A main class run in its own JVM, as a user runs it, with its output (standard output and error)
 * kept line by line for assertions. Closing it kills the JVM if it still runs.
 */
public final class JavaProcess implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread pump;

  private JavaProcess(Process process) {
    this.process = process;
    pump = new Thread(this::pump, "pump-" + process.pid());
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Launches {@code mainClass} with this JVM's class path.
   *
   * @param mainClass the class whose main runs
   * @param env environment variables to set ({@code CLOISTER_*} variables of this JVM are removed)
   * @param args the program's arguments
   * @return the running process
   * @throws IOException when the JVM cannot start
   */
  public static JavaProcess launch(String mainClass, Map<String, String> env, String... args) throws IOException {
    return launch(System.getProperty("java.class.path"), mainClass, env, args);
  }

  /**
   * Launches {@code mainClass} with the given class path.
   *
   * @param classPath the class path
   * @param mainClass the class whose main runs
   * @param env environment variables to set ({@code CLOISTER_*} variables of this JVM are removed)
   * @param args the program's arguments
   * @return the running process
   * @throws IOException when the JVM cannot start
   */
  public static JavaProcess launch(String classPath, String mainClass, Map<String, String> env, String... args)
    throws IOException {
    String logging = System.getProperty("cloister.test.logging");
    return launch(classPath, logging == null ? List.of() : List.of("-Djava.util.logging.config.file=" + logging),
      mainClass, env, args);
  }

  /**
   * Launches {@code mainClass} with the given class path and JVM options.
   *
   * @param classPath the class path
   * @param jvmOptions JVM options, e.g. a logging configuration
   * @param mainClass the class whose main runs
   * @param env environment variables to set ({@code CLOISTER_*} variables of this JVM are removed)
   * @param args the program's arguments
   * @return the running process
   * @throws IOException when the JVM cannot start
   */
  public static JavaProcess launch(String classPath, List<String> jvmOptions, String mainClass, Map<String, String> env,
                                   String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-Djava.net.preferIPv4Stack=true", "-cp", classPath));
    cmd.addAll(jvmOptions);
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("CLOISTER_"));
    pb.environment().putAll(env);
    return new JavaProcess(pb.start());
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  /**
   * Waits until every line the process printed has been read (its output closed, as when it exited).
   *
   * @param timeoutMs the bound
   */
  public void awaitOutputEnd(long timeoutMs) {
    try {
      pump.join(timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (pump.isAlive()) {
      throw new AssertionError("output still open after " + timeoutMs + " ms");
    }
  }

  /** @return every line printed so far */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /**
   * Waits up to {@code timeoutMs} for a printed line that {@code match} accepts.
   *
   * @param what what is awaited, for the failure message
   * @param match the condition on a line
   * @param timeoutMs the bound
   * @return the first matching line
   */
  public String awaitLine(String what, Predicate<String> match, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      for (String l : lines) {
        if (match.test(l)) {
          return l;
        }
      }
      if (!process.isAlive() && lines.stream().noneMatch(match)) {
        throw new AssertionError("the process exited (" + process.exitValue() + ") before " + what + "; output:\n"
          + String.join("\n", lines));
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("never printed: " + what + "; output:\n" + String.join("\n", lines));
  }

  /**
   * Waits up to {@code timeoutMs} for the process to exit.
   *
   * @param timeoutMs the bound
   * @return its exit code
   */
  public int awaitExit(long timeoutMs) {
    try {
      if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
        throw new AssertionError("still running after " + timeoutMs + " ms; output:\n" + String.join("\n", lines));
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Sends SIGTERM, as {@code docker stop} and Kubernetes do. */
  public void terminate() {
    // Through the handle: Process.destroy() would also close the pipes, losing what the JVM
    // prints while it shuts down.
    process.toHandle().destroy();
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
