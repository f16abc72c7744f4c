package examples;

import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.rxjava3.Cloister;
import dev.cloister.testing.InJvmCluster;
import io.reactivex.rxjava3.core.Single;
import io.vertx.rxjava3.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The RxJava 3 example on two nodes: each pings both, runs the registered function on both, publishes. */
class RxExampleTest {

  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() {
    nodes.forEach(v -> v.close().blockingAwait(30, TimeUnit.SECONDS));
  }

  @Test
  void twoNodesCallEachOtherThroughTheGeneratedBinding() {
    InJvmCluster ports = new InJvmCluster(2);
    List<Single<Cloister>> started = new ArrayList<>();
    List<ExampleOutput> outputs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      CloisterOptions options = ports.options(i, 2).setApp("rx");
      Vertx vertx = Vertx.builder().withClusterManager(new CloisterClusterManager(options)).rxBuildClustered()
        .blockingGet();
      nodes.add(vertx);
      ExampleOutput out = new ExampleOutput();
      outputs.add(out);
      started.add(RxExample.start(vertx, options, out.stream).cache());
    }
    List<Cloister> cloisters = Single.merge(started).toList().blockingGet();
    assertEquals(2, cloisters.size());

    for (int i = 0; i < 2; i++) {
      List<String> lines = outputs.get(i).lines();
      for (String node : List.of("node0", "node1")) {
        assertTrue(lines.contains(node + " -> pong from " + node), "node" + i + " pinged " + node + ": " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(node + " -> {\"node\":\"" + node + "\",\"heap\":")),
          "node" + i + " ran 'load' on " + node + ": " + lines);
      }
    }
  }
}
