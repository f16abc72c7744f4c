package dev.cloister.testing;

import dev.cloister.launcher.FreePorts;

import java.util.List;

/**
 * Blocks of free loopback ports for test clusters, from 20000 up, away from JGroups' default
 * 7800 range so that tests never meet a cluster running on the machine.
 */
public final class TestPorts {

  private TestPorts() {
  }

  /**
   * {@code count} consecutive free ports on 127.0.0.1 (see {@link FreePorts}).
   *
   * @param count how many
   * @return the ports
   */
  public static List<Integer> block(int count) {
    return FreePorts.block(count, 20000, 84);
  }
}
