package dev.cloister.launcher;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of free loopback ports for local clusters (tests, benchmarks, soaks).
 *
 * <p>Blocks start at random multiples of 150 above {@code from}, so that runs side by side rarely
 * meet, and never where one of the last blocks handed out in this JVM began; each port's FD_SOCK2
 * companion ({@code port + 100}) must be free too. Keep {@code from} and the range below 32768,
 * where Linux starts handing out ephemeral ports: a port checked free here must not be taken by an
 * outgoing connection's local port before a node binds it.
 */
public final class FreePorts {

  /** The first ports of the blocks handed out last, oldest first. */
  private static final Deque<Integer> RECENT = new ArrayDeque<>();

  private FreePorts() {
  }

  /**
   * {@code count} consecutive free ports on 127.0.0.1.
   *
   * @param count how many
   * @param from the lowest first port
   * @param slots how many blocks of 150 ports above {@code from} to choose among
   * @return the ports
   * @throws IllegalStateException when 200 tries found no free block
   */
  public static List<Integer> block(int count, int from, int slots) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = from + ThreadLocalRandom.current().nextInt(slots) * 150;
      if (!handOut(base, slots)) {
        continue;
      }
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count && free(base + i) && free(base + i + 100); i++) {
        ports.add(base + i);
      }
      if (ports.size() == count) {
        return ports;
      }
    }
    throw new IllegalStateException("no free block of " + count + " loopback ports above " + from);
  }

  /**
   * Notes a block's first port as handed out, unless it was among the last ones: a probe finds a
   * block free until its user binds it, so two blocks asked for one after the other (a cluster's
   * ports, then its nodes' HTTP ports) could otherwise be the same ports.
   */
  private static boolean handOut(int base, int slots) {
    if (slots < 2) {
      return true; // one place to choose from: nothing to steer away from
    }
    synchronized (RECENT) {
      if (RECENT.contains(base)) {
        return false;
      }
      RECENT.addLast(base);
      while (RECENT.size() > slots / 2) {
        RECENT.removeFirst();
      }
      return true;
    }
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
