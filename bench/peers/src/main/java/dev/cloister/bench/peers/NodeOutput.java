package dev.cloister.bench.peers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
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
 * &#64;peer EPOCH_MS entities R S       sharding: R entities run here, S were started here in all
 *                                 (EPOCH_MS: the last change), see {@link EntityCount}
 * &#64;peer EPOCH_MS loading N          sharding: the first of N puts or messages goes out
 * &#64;peer EPOCH_MS loaded R           sharding: every one was answered, R after being sent again
 * &#64;peer EPOCH_MS failed WHAT        the node cannot go on and halts
 * </pre>
 * Commands come on standard input: {@code leave} leaves the cluster the system's recommended way
 * and exits; {@code entities N} (sharding nodes) creates entities 0 to N - 1. When standard input
 * closes (the driver is gone) the JVM halts.
 */
final class NodeOutput {

  /** Marks the lines the driver reads; everything else on standard output is the systems' own. */
  static final String PREFIX = "@peer ";

  private static final Object LOCK = new Object();
  private static final AtomicBoolean FAILED = new AtomicBoolean();
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

  /**
   * Tells how many entities run here.
   *
   * @param at epoch ms of the last change
   * @param running entities running here now
   * @param started entities started here since the node began
   */
  static void entities(long at, int running, long started) {
    print(at, "entities " + running + " " + started);
  }

  /**
   * Tells that the first put or message of the initial placement goes out.
   *
   * @param count how many entities are created
   */
  static void loading(int count) {
    print("loading " + count);
  }

  /**
   * Tells that every put or message of the initial placement was answered.
   *
   * @param retries how many were sent again after a failure or timeout
   */
  static void loaded(long retries) {
    print("loaded " + retries);
  }

  /**
   * Tells the driver why this node cannot go on, and halts; only the first of concurrent failures
   * is printed.
   *
   * @param what what failed
   * @param cause the failure
   */
  static void failed(String what, Throwable cause) {
    if (FAILED.getAndSet(true)) {
      return;
    }
    print("failed " + what + ": " + cause);
    cause.printStackTrace();
    Runtime.getRuntime().halt(1);
  }

  private static void print(String event) {
    print(System.currentTimeMillis(), event);
  }

  private static void print(long at, String event) {
    synchronized (LOCK) {
      System.out.println(PREFIX + at + " " + event);
      System.out.flush();
    }
  }

  /**
   * Reads commands on a daemon thread.
   *
   * @param leave leaves the cluster gracefully; the JVM exits after {@link #left()}
   */
  static void commands(Runnable leave) {
    commands(leave, count -> {
    });
  }

  /**
   * Reads commands on a daemon thread, sharding nodes included.
   *
   * @param leave leaves the cluster gracefully; the JVM exits after {@link #left()}
   * @param entities creates entities 0 to N - 1, on the command thread (it may block)
   */
  static void commands(Runnable leave, IntConsumer entities) {
    Thread t = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          String[] command = line.trim().split(" ");
          if (command.length == 1 && command[0].equals("leave")) {
            leave.run();
          } else if (command[0].equals("entities") && command.length == 2) {
            entities.accept(Integer.parseInt(command[1]));
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
