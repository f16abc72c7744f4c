package dev.cloister.launcher;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the user's main class in a node JVM started by {@link AppLauncher}, and tells the launcher
 * of the node's transitions whatever the application's log format.
 *
 * <pre>
 * ChildMain &lt;userMainClass&gt; [args...]
 * </pre>
 *
 * <p>It adds a handler to the JUL logger {@code dev.cloister.Cloister}, where Cloister logs each
 * transition ({@code "<label> FROM -> TO members [...]"}; Vert.x logs through JUL unless told
 * otherwise), and prints each one as an event line {@code @@cloister {"from":..,"to":..,...}} on
 * standard output. It also ends the JVM with {@code System.exit} (so that the application's
 * shutdown hooks, Cloister's among them, leave the cluster gracefully) when the launcher is gone:
 * its process has ended, or the pipe of this JVM's standard input was closed. The application must
 * therefore not read standard input itself.
 */
public final class ChildMain {

  /** The logger Cloister logs its transitions to. */
  public static final String CLOISTER_LOGGER = "dev.cloister.Cloister";

  private static final Pattern TRANSITION = Pattern.compile("^(\\S+) ([A-Z]+) -> ([A-Z]+) members (\\[.*?])");

  // Held so that the logger, and the handler on it, are not collected.
  private static Logger cloisterLogger;

  private ChildMain() {
  }

  /**
   * Watches the launcher, installs the transition handler and runs the user's main class.
   *
   * @param args the user's main class, then its arguments
   * @throws Throwable whatever the user's main throws
   */
  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ChildMain <mainClass> [args...]");
      System.exit(64);
    }
    watchLauncher();
    cloisterLogger = Logger.getLogger(CLOISTER_LOGGER);
    if (cloisterLogger.getLevel() == null || cloisterLogger.getLevel().intValue() > Level.INFO.intValue()) {
      cloisterLogger.setLevel(Level.INFO);
    }
    cloisterLogger.addHandler(new TransitionHandler());
    Method main = Class.forName(args[0], true, ChildMain.class.getClassLoader()).getMethod("main", String[].class);
    if (!Modifier.isStatic(main.getModifiers())) {
      throw new IllegalArgumentException(args[0] + ".main is not static");
    }
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * The event line for a transition log message, or null when the message is not one.
   *
   * @param message a message of the {@code dev.cloister.Cloister} logger
   * @return the event, or null
   */
  static JsonObject transition(String message) {
    if (message == null) {
      return null;
    }
    Matcher m = TRANSITION.matcher(message);
    if (!m.find()) {
      return null;
    }
    return new JsonObject().put("at", System.currentTimeMillis()).put("label", m.group(1))
      .put("from", m.group(2)).put("to", m.group(3)).put("members", m.group(4));
  }

  private static void watchLauncher() {
    ProcessHandle.current().parent().ifPresent(parent ->
      parent.onExit().thenRun(() -> launcherGone("the launcher process ended")));
    Thread stdin = new Thread(() -> {
      try {
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
          // The launcher writes nothing: only the end of the pipe matters.
        }
      } catch (IOException ignored) {
        // a broken pipe ends it the same way
      }
      launcherGone("the launcher closed this node's standard input");
    }, "launcher-watch");
    stdin.setDaemon(true);
    stdin.start();
  }

  private static void launcherGone(String why) {
    System.err.println("cloister child: " + why + "; exiting");
    // From a thread of its own: System.exit blocks until the shutdown hooks have run.
    Thread exit = new Thread(() -> System.exit(0), "launcher-gone");
    exit.start();
  }

  /** Prints an event line for each transition logged. */
  private static final class TransitionHandler extends Handler {
    @Override
    public void publish(LogRecord record) {
      JsonObject event = transition(record.getMessage());
      if (event != null) {
        synchronized (System.out) {
          System.out.println(NodeMain.EVENT_PREFIX + event.encode());
          System.out.flush();
        }
      }
    }

    @Override
    public void flush() {
      System.out.flush();
    }

    @Override
    public void close() {
    }
  }
}
