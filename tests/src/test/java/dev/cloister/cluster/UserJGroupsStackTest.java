package dev.cloister.cluster;

import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.impl.transport.NodeTransport;
import dev.cloister.testing.InJvmCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three nodes on {@code CloisterClusterManager} with the user's own JGroups stack, one XML file for
 * all (TCP on loopback over a range of three ports, TCPPING, the user's failure-detection timings):
 * they assemble, and each node judges failure detection by that stack's timings.
 */
class UserJGroupsStackTest {

  private final InJvmCluster cluster = new InJvmCluster(3);

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private static String xml(List<Integer> ports) {
    String hosts = ports.stream().map(p -> "127.0.0.1[" + p + "]").collect(Collectors.joining(","));
    return """
      <config xmlns="urn:org:jgroups"
              xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
              xsi:schemaLocation="urn:org:jgroups http://www.jgroups.org/schema/jgroups.xsd">
        <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="%d" tcp_nodelay="true"/>
        <TCPPING initial_hosts="%s" port_range="0"/>
        <MERGE3 min_interval="1000" max_interval="3000"/>
        <FD_SOCK2/>
        <FD_ALL3 interval="1000" timeout="4000"/>
        <VERIFY_SUSPECT2 timeout="700"/>
        <BARRIER/>
        <pbcast.NAKACK2 use_mcast_xmit="false"/>
        <UNICAST3/>
        <pbcast.STABLE/>
        <pbcast.GMS join_timeout="1000" print_local_addr="false"/>
        <UFC/>
        <MFC/>
        <FRAG4/>
      </config>
      """.formatted(ports.get(0), ports.size() - 1, hosts);
  }

  @Test
  void threeNodesOnTheUsersStackReachReady(@TempDir Path dir) throws Exception {
    List<String> sentry = cluster.sentry();
    List<Integer> ports = sentry.stream().map(s -> Integer.parseInt(s.substring(s.lastIndexOf(':') + 1))).toList();
    Path stack = Files.writeString(dir.resolve("jgroups.xml"), xml(ports));
    for (int i = 0; i < 3; i++) {
      CloisterOptions options = new CloisterOptions().setApp("userstack").setJgroupsConfig(stack.toString())
        .setSentry(sentry).setConsensus(3).setNodeName("node" + i);
      cluster.start(i, options);
    }
    List<String> names = List.of("node0", "node1", "node2");
    for (InJvmCluster.Node n : cluster.nodes()) {
      await(n.deployment);
      eventually("node" + n.index + " READY on three", () -> n.state().getStatus() == CloisterStatus.READY
        && n.state().memberNames().equals(names) && n.state().isConverged(), n::transitions);
      assertEquals(List.of(), n.state().getMissing(), "every sentry address is a member");
      // FD_ALL3 4000 ms + one 1000 ms interval + VERIFY_SUSPECT2 700 ms: the user's timings, not Cloister's.
      assertEquals(5700, NodeTransport.of(n.vertx).failureDetectionBound());
    }
    assertEquals(cluster.nodes().get(0).state().getChecksum(), cluster.nodes().get(2).state().getChecksum());
  }
}
