package dev.cloister.netrig;

import dev.cloister.testing.TestDnsServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The rig's DNS server in its own namespace: {@link TestDnsServer} bound on the namespace's address,
 * changed by lines on standard input ({@code add <name> <ipv4>}, {@code remove <name> <ipv4>}),
 * each answered by {@code ok}. It exits when its standard input closes, so it never outlives the test.
 */
public final class DnsMain {

  private DnsMain() {
  }

  /**
   * Serves until standard input closes.
   *
   * @param args the address and port to bind
   * @throws Exception when the port cannot be bound
   */
  public static void main(String[] args) throws Exception {
    try (TestDnsServer dns = new TestDnsServer(new InetSocketAddress(args[0], Integer.parseInt(args[1])))) {
      System.out.println("ready");
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        String[] w = line.trim().split("\\s+");
        if (w.length == 3 && w[0].equals("add")) {
          dns.addA(w[1], w[2]);
        } else if (w.length == 3 && w[0].equals("remove")) {
          dns.removeA(w[1], w[2]);
        } else {
          System.out.println("unknown command: " + line);
          continue;
        }
        System.out.println("ok");
        System.out.flush();
      }
    }
  }
}
