package dev.cloister.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of free loopback ports for test clusters, away from JGroups' default 7800 range so
 * that tests never meet a cluster running on the machine.
 */
public final class TestPorts {

  private TestPorts() {
  }

  /**
   * {@code count} consecutive free ports on 127.0.0.1, each with its FD_SOCK2 companion
   * ({@code port + 100}) free too.
   *
   * @param count how many
   * @return the ports
   */
  public static List<Integer> block(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      // Below 32768, where Linux starts handing out ephemeral ports: a block checked free here must
      // not be taken by some outgoing connection's local port before the nodes bind it.
      int base = 20000 + ThreadLocalRandom.current().nextInt(0, 84) * 150;
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        if (!free(base + i) || !free(base + i + 100)) {
          break;
        }
        ports.add(base + i);
      }
      if (ports.size() == count) {
        return ports;
      }
    }
    throw new IllegalStateException("no free block of " + count + " ports");
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
