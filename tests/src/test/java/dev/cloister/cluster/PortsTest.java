package dev.cloister.cluster;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import dev.cloister.Cloister;
import dev.cloister.testing.TestPorts;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.stream.IntStream;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ports a node listens on, as docs/deployment.md lists them for firewalls: the cluster port,
 * FD_SOCK2 on the cluster port plus 100 (or one of the next three), and the event-bus port.
 */
class PortsTest {

  private Vertx vertx;

  @AfterEach
  void tearDown() {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aNodeListensOnTheClusterPortItsFailureDetectorPortAndTheEventBusPort() {
    List<Integer> ports = TestPorts.block(2);
    int clusterPort = ports.get(0);
    int eventBusPort = ports.get(1);
    CloisterOptions options = new CloisterOptions().setApp("ports").setLoopback(true).setClusterPort(clusterPort);
    vertx = await(Vertx.builder()
      .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setPort(eventBusPort)))
      .withClusterManager(new CloisterClusterManager(options)).buildClustered());
    await(vertx.deployVerticle(new CloisterVerticle(options)));
    assertEquals(CloisterStatus.READY, Cloister.of(vertx).state().getStatus());

    assertTrue(accepts(clusterPort), "the cluster port " + clusterPort);
    List<Integer> failureDetector = IntStream.rangeClosed(clusterPort + 100, clusterPort + 103).boxed()
      .filter(PortsTest::accepts).toList();
    // Another process may hold cluster port + 100 (then FD_SOCK2 takes the next); one of the four is ours.
    assertFalse(failureDetector.isEmpty(), "FD_SOCK2 listens on one of cluster port + 100..103");
    assertTrue(accepts(eventBusPort), "the event-bus port " + eventBusPort);
  }
}
