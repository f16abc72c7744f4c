package dev.cloister.launcher;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of free loopback ports for local clusters (tests, benchmarks, soaks).
 *
 * <p>Blocks start at random multiples of 150 above {@code from}, so that runs side by side rarely
 * meet; each port's FD_SOCK2 companion ({@code port + 100}) must be free too. Keep {@code from}
 * and the range below 32768, where Linux starts handing out ephemeral ports: a port checked free
 * here must not be taken by an outgoing connection's local port before a node binds it.
 */
public final class FreePorts {

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
