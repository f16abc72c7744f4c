package examples;

import dev.cloister.CloisterOptions;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README's quick start, run as written on three nodes on loopback instead of three hosts. */
class QuickStartTest {

  private static final Pattern WHOIS = Pattern.compile("user:42 belongs to (\\S+); mine: (true|false)");

  private final List<Vertx> nodes = new ArrayList<>();
  private final ExecutorService hosts = Executors.newFixedThreadPool(3);

  @AfterEach
  void tearDown() {
    hosts.shutdownNow();
    nodes.forEach(v -> InJvmCluster.await(v.close()));
  }

  @Test
  void threeNodesOfShopAgreeWhoOwnsAKeyAndEachReachesItsSiblings() throws Exception {
    InJvmCluster ports = new InJvmCluster(3);
    List<ExampleOutput> outputs = new ArrayList<>();
    List<Future<Vertx>> started = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // The quick start's options, with the three hosts replaced by three loopback ports.
      CloisterOptions options = ports.options(i, 3).setApp("shop");
      ExampleOutput out = new ExampleOutput();
      outputs.add(out);
      started.add(hosts.submit(() -> QuickStart.run(options, out.stream)));
    }
    for (Future<Vertx> f : started) {
      nodes.add(f.get(120, TimeUnit.SECONDS));
    }

    Set<String> owners = new HashSet<>();
    int mine = 0;
    for (int i = 0; i < 3; i++) {
      ExampleOutput out = outputs.get(i);
      assertTrue(out.lines().stream().anyMatch(l -> l.startsWith("REHASHING -> READY")), "node" + i + ": " + out.lines());
      List<String> whois = out.linesStartingWith("user:42 belongs to");
      assertEquals(1, whois.size(), "node" + i + ": " + out.lines());
      Matcher m = WHOIS.matcher(whois.get(0));
      assertTrue(m.matches(), whois.get(0));
      owners.add(m.group(1));
      if (Boolean.parseBoolean(m.group(2))) {
        mine++;
        assertEquals("node" + i, m.group(1), "the node that owns the key says it is its own");
      }
      List<String> replies = out.linesStartingWith("reply from ");
      assertEquals(3, replies.size(), "one reply per sibling, self included: " + replies);
      assertTrue(replies.contains("reply from node" + i + " true"), "its own consumer answers: " + replies);
    }
    assertEquals(1, owners.size(), "every node names the same owner: " + owners);
    assertEquals(1, mine, "exactly one node owns user:42");
  }
}
