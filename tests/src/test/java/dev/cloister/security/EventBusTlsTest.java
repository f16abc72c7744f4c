package dev.cloister.security;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterVerticle;
import dev.cloister.NodeReply;
import dev.cloister.testing.TestPorts;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event bus between nodes over mutual TLS, with a certificate made by the JDK's keytool for
 * this test: TLS nodes talk; a node with a plain event bus and a raw socket get nothing through.
 */
class EventBusTlsTest {

  @TempDir
  Path dir;
  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    for (Vertx v : nodes) {
      try {
        v.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  private void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
  }

  private Vertx node(CloisterOptions options, EventBusOptions eventBus) {
    Vertx v = await(Vertx.builder().with(new VertxOptions().setEventBusOptions(eventBus))
      .withClusterManager(new CloisterClusterManager(options)).buildClustered());
    nodes.add(v);
    return v;
  }

  @Test
  void nodesTalkOverTlsAndAPlainNodeGetsNothingThrough() throws Exception {
    Path keystore = dir.resolve("node.p12");
    Path cert = dir.resolve("node.pem");
    keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=cloister",
      "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
      "-storepass", "changeit", "-keypass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "node", "-keystore", keystore.toString(), "-storepass", "changeit",
      "-file", cert.toString());
    EventBusOptions tls = new EventBusOptions().setHost("127.0.0.1").setSsl(true).setClientAuth(ClientAuth.REQUIRED)
      .setKeyCertOptions(new PfxOptions().setPath(keystore.toString()).setPassword("changeit"))
      .setTrustOptions(new PemTrustOptions().addCertPath(cert.toString()));

    List<Integer> ports = TestPorts.block(3);
    List<String> sentry = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    List<CloisterOptions> options = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      options.add(new CloisterOptions().setSentry(sentry).setLoopback(true).setClusterPort(ports.get(i))
        .setConsensus(2).setNodeName("tls" + i));
    }
    Vertx a = node(options.get(0), tls);
    Vertx b = node(options.get(1), new EventBusOptions(tls));
    await(b.eventBus().consumer("greet", m -> m.reply("hello from b")).completion());
    io.vertx.core.Future<String> deployedA = a.deployVerticle(new CloisterVerticle(options.get(0)));
    await(b.deployVerticle(new CloisterVerticle(options.get(1))));
    await(deployedA);

    // TLS nodes talk: a plain request and a sibling call, across the encrypted event bus.
    assertEquals("hello from b", await(a.eventBus().<String>request("greet", "hi")).body());
    List<NodeReply> replies = await(dev.cloister.Cloister.of(a).multicall(List.of("tls1"), "greet", "hi"));
    assertTrue(replies.get(0).isSucceeded(), replies.toString());
    assertEquals("hello from b", replies.get(0).getBody());

    // A node of the same cluster with a plain event bus cannot reach b's consumer.
    Vertx plain = node(options.get(2), new EventBusOptions().setHost("127.0.0.1"));
    Exception refused = assertThrows(Exception.class, () -> plain.eventBus().request("greet", "hi",
      new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(3000)).await(30, TimeUnit.SECONDS));
    assertFalse(String.valueOf(refused.getMessage()).contains("hello"), String.valueOf(refused));

    // A raw TCP client on b's event-bus port gets no byte of an answer to a plaintext frame.
    int busPort = ((io.vertx.core.internal.VertxInternal) b).clusterManager().getNodeInfo().port();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", busPort), 3000);
      s.setSoTimeout(3000);
      s.getOutputStream().write("{\"address\":\"greet\",\"body\":\"hi\"}\n".getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[256];
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException | java.net.SocketException e) {
        n = -1;
      }
      if (n > 0) {
        String text = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        assertFalse(text.contains("hello"), "no plaintext answer: " + text);
        assertEquals(0x15, buf[0] & 0xff, "only a TLS alert comes back, not an answer");
      }
    }
  }
}
