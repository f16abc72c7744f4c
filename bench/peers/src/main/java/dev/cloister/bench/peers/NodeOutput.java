package dev.cloister.bench.peers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeSet;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node side of the driver's protocol, the same for every system.
 *
 * <p>Events go to standard output, one line each, {@value #PREFIX} first:
 * <pre>
 * &#64;peer EPOCH_MS self ID            this node's member id, once it runs
 * &#64;peer EPOCH_MS members N ID,ID,.. the members this node sees, printed when that set changes
 * &#64;peer EPOCH_MS left               the graceful leave completed
 * </pre>
 * Commands come on standard input: {@code leave} leaves the cluster the system's recommended way
 * and exits. When standard input closes (the driver is gone) the JVM halts.
 */
final class NodeOutput {

  /** Marks the lines the driver reads; everything else on standard output is the systems' own. */
  static final String PREFIX = "@peer ";

  private static final Object LOCK = new Object();
  private static String lastMembers;

  private NodeOutput() {
  }

  /** Only warnings and worse from java.util.logging, the same for every system. */
  static void quietLogging() {
    Logger root = Logger.getLogger("");
    root.setLevel(Level.WARNING);
    for (Handler h : root.getHandlers()) {
      h.setLevel(Level.WARNING);
    }
  }

  /**
   * @param id this node's member id, as the other nodes list it
   */
  static void self(String id) {
    print("self " + id);
  }

  /**
   * Prints the member set when it differs from the last one printed.
   *
   * @param ids the members' ids, this node included
   */
  static void members(Collection<String> ids) {
    String line = String.join(",", new TreeSet<>(ids));
    synchronized (LOCK) {
      if (line.equals(lastMembers)) {
        return;
      }
      lastMembers = line;
      print("members " + ids.size() + " " + line);
    }
  }

  /** Tells that the graceful leave completed. */
  static void left() {
    print("left");
  }

  private static void print(String event) {
    synchronized (LOCK) {
      System.out.println(PREFIX + System.currentTimeMillis() + " " + event);
      System.out.flush();
    }
  }

  /**
   * Reads commands on a daemon thread.
   *
   * @param leave leaves the cluster gracefully; the JVM exits after {@link #left()}
   */
  static void commands(Runnable leave) {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.trim().equals("leave")) {
            leave.run();
          }
        }
      } catch (IOException e) {
        // the driver is gone
      }
      Runtime.getRuntime().halt(0);
    }, "peer-commands");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Prints {@code left} and exits.
   *
   * @param ignored whatever the leave completed with
   */
  static void exitAfterLeave(Object ignored) {
    left();
    System.exit(0);
  }

}
