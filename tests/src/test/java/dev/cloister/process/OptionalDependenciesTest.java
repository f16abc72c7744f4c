package dev.cloister.process;

import dev.cloister.testing.HttpNode;
import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.MinimalNode;
import dev.cloister.testing.TestPorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vertx-health-check, vertx-rx-java3 and vertx-micrometer-metrics are optional dependencies: a node
 * that uses neither the HTTP verticle nor the RxJava binding runs with all of them missing from its
 * class path, and one that serves HTTP runs without Micrometer, answering {@code /metrics} with 404.
 */
@Tag("process")
class OptionalDependenciesTest {

  /** The optional jars (and what only they bring) left out of the node's class path. */
  private static final List<String> OPTIONAL = List.of("vertx-health-check", "vertx-rx-java3", "vertx-rx-gen",
    "vertx-micrometer-metrics", "micrometer-core", "micrometer-registry-prometheus");

  @Test
  void aNodeRunsWithoutTheOptionalDependencies() throws Exception {
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
      .filter(entry -> OPTIONAL.stream().noneMatch(jar -> new File(entry).getName().startsWith(jar + "-")))
      .collect(Collectors.joining(File.pathSeparator));
    assertFalse(classPath.contains("vertx-health-check"), classPath);

    int port = TestPorts.block(1).get(0);
    try (JavaProcess node = JavaProcess.launch(classPath, MinimalNode.class.getName(),
      Map.of("CLOISTER_APP", "minimal", "CLOISTER_LOOPBACK", "true", "CLOISTER_CLUSTER_PORT", String.valueOf(port)),
      "io.vertx.ext.healthchecks.HealthChecks", "io.vertx.rxjava3.core.Vertx", "io.micrometer.core.instrument.MeterRegistry")) {
      assertEquals(0, node.awaitExit(120_000), String.join("\n", node.lines()));
      List<String> lines = node.lines();
      assertTrue(lines.contains("class io.vertx.ext.healthchecks.HealthChecks absent"), String.join("\n", lines));
      assertTrue(lines.contains("class io.vertx.rxjava3.core.Vertx absent"), String.join("\n", lines));
      assertTrue(lines.contains("class io.micrometer.core.instrument.MeterRegistry absent"), String.join("\n", lines));
      assertTrue(lines.contains("status READY owner minimal@127.0.0.1:" + port), String.join("\n", lines));
      assertTrue(lines.contains("closed"), String.join("\n", lines));
    }
  }

  @Test
  void aNodeServesHttpWithoutMicrometerAndSaysWhyThereAreNoMetrics() throws Exception {
    List<String> micrometer = List.of("vertx-micrometer-metrics", "micrometer-");
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
      .filter(entry -> micrometer.stream().noneMatch(jar -> new File(entry).getName().startsWith(jar)))
      .collect(Collectors.joining(File.pathSeparator));
    assertFalse(classPath.contains("micrometer"), classPath);

    int port = TestPorts.block(1).get(0);
    try (JavaProcess node = JavaProcess.launch(classPath, HttpNode.class.getName(),
      Map.of("CLOISTER_APP", "nometrics", "CLOISTER_LOOPBACK", "true", "CLOISTER_CLUSTER_PORT", String.valueOf(port)),
      "/metrics", "/cloister/", "/cloister/rings", "/health/ready")) {
      assertEquals(0, node.awaitExit(120_000), String.join("\n", node.lines()));
      List<String> lines = node.lines();
      assertTrue(lines.contains("GET /metrics 404"), String.join("\n", lines));
      assertTrue(lines.contains("GET /cloister/ 200"), String.join("\n", lines));
      assertTrue(lines.contains("GET /cloister/rings 200"), String.join("\n", lines));
      assertTrue(lines.contains("GET /health/ready 200"), String.join("\n", lines));
      assertTrue(lines.contains("closed"), String.join("\n", lines));
    }
  }
}
