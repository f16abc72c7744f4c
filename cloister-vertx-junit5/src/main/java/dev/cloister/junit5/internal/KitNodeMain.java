package dev.cloister.junit5.internal;

import dev.cloister.Cloister;
import dev.cloister.CloisterOptions;
import dev.cloister.launcher.NodeMain;
import io.vertx.core.Verticle;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;

/**
 * The node JVM of the kit's process mode: the launcher's node ({@link NodeMain}: configured by
 * {@code CLOISTER_*} variables, transitions on standard output, {@code stop} and {@code state}
 * on standard input) with the fault commands {@code partition} and {@code heal}
 * ({@link FaultNodeMain}), deploying the test's verticles (system property
 * {@value #DEPLOY_PROPERTY}, class names separated by commas) once READY.
 */
public final class KitNodeMain implements NodeMain.Extension {

  /** System property: the verticle classes to deploy once READY. */
  public static final String DEPLOY_PROPERTY = "cloister.junit5.deploy";

  private final FaultNodeMain faults = new FaultNodeMain();

  private KitNodeMain() {
  }

  /**
   * Starts the node.
   *
   * @param args ignored: the environment configures the node
   * @throws Exception when the node cannot start
   */
  public static void main(String[] args) throws Exception {
    NodeMain.run(new KitNodeMain());
  }

  @Override
  public void beforeCloister(Vertx vertx, CloisterOptions options) {
    faults.beforeCloister(vertx, options);
  }

  @Override
  public void afterCloister(Vertx vertx, Cloister cloister) throws Exception {
    String names = System.getProperty(DEPLOY_PROPERTY, "");
    for (String name : names.split(",")) {
      if (!name.isBlank()) {
        Verticle v = (Verticle) Class.forName(name.trim()).getDeclaredConstructor().newInstance();
        vertx.deployVerticle(v).await(60, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public boolean command(Vertx vertx, String line) {
    return faults.command(vertx, line);
  }
}
