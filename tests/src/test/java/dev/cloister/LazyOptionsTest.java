package dev.cloister;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The no-argument cluster manager reads its options only when a clustered Vert.x is built, and an
 * invalid one then fails the build, naming it.
 */
class LazyOptionsTest {

  @Test
  void optionsAreReadAtTheClusteredBuildNotAtConstruction() {
    AtomicInteger reads = new AtomicInteger();
    CloisterClusterManager manager = new CloisterClusterManager(() -> {
      reads.incrementAndGet();
      return new CloisterOptions().applyEnvironment(Map.of("CLOISTER_CONSENSUS", "0"));
    });
    assertEquals(0, reads.get());
    ExecutionException failed = assertThrows(ExecutionException.class, () -> Vertx.builder()
      .withClusterManager(manager).buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertTrue(failed.getCause().getMessage().contains("consensus"), failed.getCause().getMessage());
    assertEquals(1, reads.get());
  }

  @Test
  void optionsGivenToTheConstructorFailThere() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new CloisterClusterManager(new CloisterOptions().setConsensus(0)));
    assertTrue(e.getMessage().contains("consensus"), e.getMessage());
  }
}
