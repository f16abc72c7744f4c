package dev.cloister.cluster;

import dev.cloister.Cloister;
import dev.cloister.CloisterClusterManager;
import dev.cloister.CloisterOptions;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.CloisterVerticle;
import dev.cloister.testing.InJvmCluster;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node on a Vert.x built with {@code new CloisterClusterManager(options)} runs with those options
 * unless it is given its own, and its own must agree with the manager's on every option both use.
 */
class OneSourceOfOptionsTest {

  private Vertx vertx;
  private CloisterOptions managerOptions;

  @BeforeEach
  void setUp() throws Exception {
    managerOptions = new InJvmCluster(1).options(0, 1).setApp("onesource").setAddressPrefix("onesource")
      .setStartTimeout(60_000);
    vertx = get(Vertx.builder().withClusterManager(new CloisterClusterManager(managerOptions)).buildClustered());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aVerticleGivenNoOptionsRunsWithTheManagers() throws Exception {
    CloisterVerticle verticle = new CloisterVerticle();
    get(vertx.deployVerticle(verticle));
    CloisterState state = verticle.cloister().state();
    assertEquals("onesource", state.getApp());
    assertEquals("node0", state.getNode());
    assertEquals(CloisterStatus.READY, state.getStatus());
  }

  @Test
  void theDeploymentConfigOverridesTheManagersNodeOnlyOptions() throws Exception {
    CloisterVerticle verticle = new CloisterVerticle();
    get(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(new JsonObject().put("group", "east"))));
    assertEquals("onesource", verticle.cloister().state().getApp());
    assertEquals("east", verticle.cloister().state().getGroup());
  }

  @Test
  void createWithoutOptionsTakesTheManagers() throws Exception {
    Cloister cloister = Cloister.create(vertx);
    try {
      assertEquals("onesource", get(cloister.start()).getApp());
    } finally {
      get(cloister.close());
    }
  }

  @Test
  void theSameOptionsGivenTwiceAreFine() throws Exception {
    CloisterVerticle verticle = new CloisterVerticle(new CloisterOptions(managerOptions).setGroup("east"));
    get(vertx.deployVerticle(verticle));
    assertEquals("onesource", verticle.cloister().state().getApp());
  }

  @Test
  void aConflictingOptionFailsTheDeploymentNamingItAndBothValues() {
    String message = failure(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions(managerOptions)
      .setApp("other"))));
    assertTrue(message.contains("option app") && message.contains("'onesource'") && message.contains("'other'"),
      message);
  }

  @Test
  void aConflictInTheDeploymentConfigFailsItToo() {
    String message = failure(vertx.deployVerticle(new CloisterVerticle(),
      new DeploymentOptions().setConfig(new JsonObject().put("clusterPort", 1))));
    assertTrue(message.contains("option clusterPort") && message.contains(", the node was given 1"), message);
  }

  @Test
  void aDifferentSecretIsNamedButNotShown() {
    String message = failure(vertx.deployVerticle(new CloisterVerticle(new CloisterOptions(managerOptions)
      .setClusterSecret("a-secret-of-sixteen-chars"))));
    assertTrue(message.contains("option clusterSecret") && !message.contains("a-secret"), message);
  }

  private static String failure(Future<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> get(future));
    return e.getCause().getMessage();
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
