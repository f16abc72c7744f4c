package dev.cloister.testing;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;

/**
 * A JVM with Cloister on its class path that builds a plain Vert.x, then a clustered one with no
 * cluster manager named (so service loading picks Cloister's), and prints what happened to each.
 */
public final class PlainVertxMain {

  /** The prefix of the lines this program prints. */
  public static final String PREFIX = "plain ";

  private PlainVertxMain() {
  }

  /**
   * Runs both builds.
   *
   * @param args unused
   */
  public static void main(String[] args) {
    Vertx plain = Vertx.vertx();
    System.out.println(PREFIX + "vertx ok " + (((VertxInternal) plain).clusterManager() == null ? "-"
      : ((VertxInternal) plain).clusterManager().getClass().getName()));
    plain.close().await();
    try {
      Vertx clustered = Vertx.builder().buildClustered().await();
      System.out.println(PREFIX + "clustered ok");
      clustered.close().await();
    } catch (Throwable e) {
      System.out.println(PREFIX + "clustered failed " + e);
    }
    System.exit(0);
  }
}
