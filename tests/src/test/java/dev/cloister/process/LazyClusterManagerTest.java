package dev.cloister.process;

import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.PlainVertxMain;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cloister on the class path registers its cluster manager for Vert.x's service loading; a plain
 * Vert.x in that JVM must not pay for it: the manager reads its {@code CLOISTER_*} options and
 * builds its transport only when a clustered Vert.x is built, which then fails naming a bad option.
 */
@Tag("process")
class LazyClusterManagerTest {

  @Test
  void aBadEnvironmentFailsOnlyTheClusteredVertxNamingTheOption() throws Exception {
    try (JavaProcess jvm = JavaProcess.launch(PlainVertxMain.class.getName(), Map.of("CLOISTER_CONSENSUS", "0"))) {
      jvm.awaitLine("the plain Vert.x", l -> l.startsWith(PlainVertxMain.PREFIX + "vertx ok"), 60_000);
      String clustered = jvm.awaitLine("the clustered build",
        l -> l.startsWith(PlainVertxMain.PREFIX + "clustered "), 60_000);
      assertTrue(clustered.contains("clustered failed") && clustered.contains("consensus")
        && clustered.contains("must be at least 1"), clustered);
      assertEquals(0, jvm.awaitExit(30_000));
    }
  }
}
