package dev.cloister.impl.transport;

import dev.cloister.impl.config.FailureDetection;
import org.jgroups.JChannel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One channel of Cloister's stack in a JVM of its own, for {@link FdSockOffSelectorTest} to kill.
 * Arguments: its name, its port, the cluster name, the heartbeat interval and suspect timeout
 * (ms), then every seed port. Prints {@code joined <view>} once in a view with another member,
 * then runs until killed.
 */
public final class FdSockChannelMain {

  private FdSockChannelMain() {
  }

  /**
   * @param args name, port, cluster, heartbeat interval, suspect timeout, seed ports...
   * @throws Exception when the channel cannot connect
   */
  public static void main(String[] args) throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    List<InetSocketAddress> seeds = new ArrayList<>();
    for (int i = 5; i < args.length; i++) {
      seeds.add(new InetSocketAddress(loopback, Integer.parseInt(args[i])));
    }
    FailureDetection timings = new FailureDetection(Long.parseLong(args[3]), Long.parseLong(args[4]), 500, 500);
    JChannel c = JGroupsStack.channel(new ClusterBinding(loopback, Integer.parseInt(args[1]), 0), seeds, null, timings);
    c.name(args[0]);
    c.connect(args[2]);
    while (c.getView().size() < 2) {
      Thread.sleep(20);
    }
    System.out.println("joined " + c.getView());
    Thread.currentThread().join();
  }
}
