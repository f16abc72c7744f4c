package dev.cloister.observability;

import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three nodes in one JVM, each Vert.x with its own Prometheus registry (vertx-micrometer-metrics,
 * one registry name per Vert.x): {@code /metrics} of a survivor shows the cluster shrink when a
 * node vanishes without leaving.
 */
class MetricsTest {

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");

  /** Parses the samples of a Prometheus text exposition: {@code name{labels}} to value. */
  static Map<String, Double> samples(String text) {
    Map<String, Double> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.matches()) {
        String labels = m.group(2) == null ? "" : m.group(2).replace(",}", "}");
        out.put(m.group(1) + labels, Double.parseDouble(m.group(3)));
      }
    }
    return out;
  }

  /** The metric families the text declares ({@code # TYPE name kind}) whose name starts with {@code cloister_}. */
  static Set<String> families(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE cloister_")) {
        String[] parts = line.split(" ");
        out.add(parts[2] + " " + parts[3]);
      }
    }
    return out;
  }

  private static double sum(Map<String, Double> samples, String prefix) {
    return samples.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
  }

  private static boolean readyOn(Node n, List<String> members) {
    CloisterState s = n.state();
    return s.getStatus() == CloisterStatus.READY && s.memberNames().equals(members) && s.isConverged();
  }

  @Test
  void aSurvivorsMetricsShowTheClusterShrinkWhenANodeCrashes() throws Exception {
    String run = UUID.randomUUID().toString();
    try (InJvmCluster cluster = new InJvmCluster(3); Http http = new Http()) {
      cluster.vertxOptions(i -> new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setRegistryName("metrics-test-" + run + "-" + i)
        .setEnabled(true)));
      int[] port = new int[1];
      List<Node> nodes = new ArrayList<>();
      nodes.add(cluster.start(0, cluster.options(0, 2), n -> {
        CloisterHttpVerticle verticle = new CloisterHttpVerticle("127.0.0.1", 0);
        await(n.vertx.deployVerticle(verticle));
        port[0] = verticle.actualPort();
      }));
      nodes.add(cluster.start(1, cluster.options(1, 2)));
      nodes.add(cluster.start(2, cluster.options(2, 2)));
      nodes.forEach(n -> await(n.deployment));
      List<String> three = List.of("node0", "node1", "node2");
      for (Node n : nodes) {
        eventually(n.index + " READY on three", () -> readyOn(n, three), n::transitions);
      }
      for (Node n : nodes) {
        n.vertx.eventBus().consumer("metrics.echo", m -> m.reply("pong"));
      }
      Node survivor = nodes.get(0);
      survivor.cloister().whois("user:1");
      survivor.cloister().mine("user:2");
      eventually("every node answers the echo", () ->
        await(survivor.cloister().multicall("metrics.echo", "ping")).stream().allMatch(r -> r.isSucceeded()),
        () -> "some node does not answer yet");

      Http.Answer first = http.get(port[0], "/metrics");
      assertEquals(200, first.status(), first.body());
      assertTrue(first.contentType().startsWith("text/plain; version=0.0.4"), first.contentType());
      assertEquals(new TreeSet<>(Set.of("cloister_members gauge", "cloister_quorate gauge", "cloister_state gauge",
          "cloister_transitions_total counter", "cloister_rehash_seconds histogram", "cloister_whois_total counter",
          "cloister_calls_total counter",
          // Micrometer's timers also publish their maximum over the last minutes.
          "cloister_rehash_seconds_max gauge")), families(first.body()),
        "the fixed metric names and kinds, in Prometheus form");
      Map<String, Double> before = samples(first.body());
      assertEquals(3.0, before.get("cloister_members{group=\"cloister\"}"), first.body());
      assertEquals(1.0, before.get("cloister_quorate"), first.body());
      assertEquals(1.0, before.get("cloister_state{status=\"READY\"}"), first.body());
      assertEquals(0.0, before.get("cloister_state{status=\"REHASHING\"}"), first.body());
      assertEquals(2.0, before.get("cloister_whois_total"), first.body());
      assertTrue(before.get("cloister_calls_total{op=\"multicall\",result=\"ok\"}") >= 3.0, first.body());
      assertTrue(before.get("cloister_transitions_total{from=\"REHASHING\",to=\"READY\"}") >= 1.0, first.body());
      double rehashes = before.get("cloister_rehash_seconds_count");
      assertTrue(rehashes >= 1.0, "assembly ends a rehash: " + first.body());
      assertTrue(sum(before, "cloister_rehash_seconds_bucket") > 0, "a histogram with buckets: " + first.body());
      double transitions = sum(before, "cloister_transitions_total");

      cluster.crash(nodes.get(2));
      List<String> two = List.of("node0", "node1");
      eventually("node0 READY on two", () -> readyOn(survivor, two), survivor::transitions);

      eventually("the survivor's metrics show the crash", () -> {
        Map<String, Double> after = samples(http.get(port[0], "/metrics").body());
        return after.get("cloister_members{group=\"cloister\"}") == 2.0
          && sum(after, "cloister_transitions_total") >= transitions + 2
          && after.get("cloister_transitions_total{from=\"READY\",to=\"REHASHING\"}") >= 1.0
          && after.get("cloister_rehash_seconds_count") >= rehashes + 1
          && after.get("cloister_state{status=\"READY\"}") == 1.0;
      }, () -> http.get(port[0], "/metrics").body());
    }
  }
}
