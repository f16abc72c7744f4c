package dev.cloister.security;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nodes without the cluster secret never join, never see member records, and say why. */
class ClusterSecretTest {

  private static final String SECRET = "correct horse battery staple";
  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private final Logger logger = Logger.getLogger(CloisterClusterManager.class.getName());
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      warnings.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };
  private InJvmCluster cluster;

  @AfterEach
  void tearDown() {
    logger.removeHandler(capture);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void nodesWithAWrongOrMissingSecretNeverBecomeMembers() {
    logger.addHandler(capture);
    cluster = new InJvmCluster(4);
    Node a = cluster.start(0, cluster.options(0, 2).setClusterSecret(SECRET));
    Node b = cluster.start(1, cluster.options(1, 2).setClusterSecret(SECRET));
    await(a.deployment);
    await(b.deployment);
    assertEquals(List.of("node0", "node1"), a.state().memberNames());

    Node wrong = cluster.start(2, cluster.options(2, 1).setClusterSecret("another secret, as long"));
    Node none = cluster.start(3, cluster.options(3, 1));
    await(wrong.deployment);
    await(none.deployment);
    eventually("the stranger says why it is alone", () -> warnings.stream().anyMatch(w -> w.contains("clusterSecret")),
      () -> warnings);

    assertEquals(List.of("node2"), wrong.state().memberNames(), "no member record of the cluster reached it");
    assertEquals(List.of("node3"), none.state().memberNames());
    assertEquals(List.of("node0", "node1"), a.state().memberNames());
    assertEquals(List.of("node0", "node1"), b.state().memberNames());
    assertEquals(CloisterStatus.READY, a.state().getStatus());
    assertFalse(a.state().getMembers().stream().anyMatch(m -> m.getName().equals("node2") || m.getName().equals("node3")));
    // The encrypted cluster still works for its own members.
    assertEquals(a.cloister().whois("k"), b.cloister().whois("k"));
  }

  @Test
  void aShortSecretIsRefusedWithoutShowingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new CloisterOptions().setClusterSecret("short").validate());
    assertTrue(e.getMessage().contains("clusterSecret"), e.getMessage());
    assertFalse(e.getMessage().contains("short"), "the secret is never printed: " + e.getMessage());
    assertFalse(new CloisterOptions().setClusterSecret(SECRET).toString().contains(SECRET));
    assertEquals(SECRET, new CloisterOptions(new CloisterOptions().setClusterSecret(SECRET)).getClusterSecret());
  }
}
