package dev.cloister.testing;

import java.nio.file.Path;

/** Files of the repository (README, docs, kits, the modules' sources), for tests that read them. */
public final class Repository {

  private Repository() {
  }

  /**
   * A path in the repository: from the directory the build names, else from the tests module's
   * parent.
   *
   * @param first the first name, relative to the repository's root
   * @param more further names
   * @return the path
   */
  public static Path path(String first, String... more) {
    return Path.of(System.getProperty("cloister.repository", "..")).resolve(Path.of(first, more)).normalize();
  }
}
