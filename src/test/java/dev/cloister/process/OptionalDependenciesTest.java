package dev.cloister.process;

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
 * vertx-health-check and vertx-rx-java3 are optional dependencies: a node that uses neither the
 * HTTP verticle nor the RxJava binding runs with both missing from its class path.
 */
@Tag("process")
class OptionalDependenciesTest {

  /** The optional jars (and what only they bring) left out of the node's class path. */
  private static final List<String> OPTIONAL = List.of("vertx-health-check", "vertx-rx-java3", "vertx-rx-gen");

  @Test
  void aNodeRunsWithoutTheOptionalDependencies() throws Exception {
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
      .filter(entry -> OPTIONAL.stream().noneMatch(jar -> new File(entry).getName().startsWith(jar + "-")))
      .collect(Collectors.joining(File.pathSeparator));
    assertFalse(classPath.contains("vertx-health-check"), classPath);

    int port = TestPorts.block(1).get(0);
    try (JavaProcess node = JavaProcess.launch(classPath, MinimalNode.class.getName(),
      Map.of("CLOISTER_APP", "minimal", "CLOISTER_LOOPBACK", "true", "CLOISTER_CLUSTER_PORT", String.valueOf(port)),
      "io.vertx.ext.healthchecks.HealthChecks", "io.vertx.rxjava3.core.Vertx")) {
      assertEquals(0, node.awaitExit(120_000), String.join("\n", node.lines()));
      List<String> lines = node.lines();
      assertTrue(lines.contains("class io.vertx.ext.healthchecks.HealthChecks absent"), String.join("\n", lines));
      assertTrue(lines.contains("class io.vertx.rxjava3.core.Vertx absent"), String.join("\n", lines));
      assertTrue(lines.contains("status READY owner minimal@127.0.0.1:" + port), String.join("\n", lines));
      assertTrue(lines.contains("closed"), String.join("\n", lines));
    }
  }
}
