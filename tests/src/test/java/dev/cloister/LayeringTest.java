package dev.cloister;

import dev.cloister.testing.Repository;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layers show in the packages and data flows one way through them: a class imports only from
 * its own package or from layers below it. Read from the sources, so a new upward arrow fails here.
 */
class LayeringTest {

  /** Package to rank; a class may import from a lower rank or its own package. */
  private static final Map<String, Integer> RANKS = Map.ofEntries(
    Map.entry("dev.cloister.impl.config", 0),
    Map.entry("dev.cloister.impl.discovery", 1),
    Map.entry("dev.cloister.impl.transport", 2),
    Map.entry("dev.cloister.impl.membership", 3),
    Map.entry("dev.cloister.impl.fsm", 4),
    Map.entry("dev.cloister.impl.ring", 5),
    Map.entry("dev.cloister.impl.calls", 6),
    Map.entry("dev.cloister.impl.health", 7),
    Map.entry("dev.cloister.impl.metrics", 7),
    Map.entry("dev.cloister.impl", 8),
    Map.entry("dev.cloister.impl.http", 9),
    Map.entry("dev.cloister.impl.workers", 9),
    Map.entry("dev.cloister.impl.spi", 11));
  /** The public entry points: on top of the node, below only the service-loading hook. */
  private static final Set<String> ENTRIES = Set.of("dev.cloister.CloisterClusterManager",
    "dev.cloister.CloisterVerticle", "dev.cloister.CloisterHttpVerticle", "dev.cloister.CloisterHealthChecks");
  private static final int ENTRY_RANK = 10;
  /**
   * The API interface: what the facade implements and health reads through. Its static factory
   * creating the facade is the one arrow allowed upwards (the Vert.x code generator wants the
   * factory on the interface).
   */
  private static final String API = "dev.cloister.Cloister";
  private static final int API_RANK = 7;
  private static final String FACTORY_ARROW = "dev.cloister.Cloister -> dev.cloister.impl.CloisterImpl";
  /** The workers' API interface, with its own factory arrow, to the worker set. */
  private static final String WORKERS_API = "dev.cloister.ShardedWorkers";
  private static final int WORKERS_API_RANK = 8;
  private static final String WORKERS_FACTORY_ARROW = "dev.cloister.ShardedWorkers -> dev.cloister.impl.workers.WorkerSet";
  /**
   * The public data types, options and exceptions: the vocabulary every layer speaks. They may
   * import only the configuration, which names, parses and validates the options.
   */
  private static final int VOCABULARY_RANK = -1;
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(dev\\.cloister(?:\\.[a-z]\\w*)*)\\.([A-Z]\\w*)", Pattern.MULTILINE);
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

  private static int rank(String pkg, String type) {
    if (pkg.equals("dev.cloister")) {
      String name = pkg + "." + type;
      return name.equals(API) ? API_RANK : name.equals(WORKERS_API) ? WORKERS_API_RANK
        : ENTRIES.contains(name) ? ENTRY_RANK : VOCABULARY_RANK;
    }
    Integer r = RANKS.get(pkg);
    if (r == null) {
      throw new AssertionError("Package " + pkg + " has no layer: add it to LayeringTest.RANKS");
    }
    return r;
  }

  /**
   * The library jar carries no fault injector, launcher or JUnit: no class of it drops, delays or
   * discards traffic, starts node JVMs or names a test framework; those live in the launcher and
   * the kit, which depend on the library, never the other way.
   */
  @Test
  void theLibraryCarriesNoFaultInjectorLauncherOrJunit() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(Repository.path("cloister-vertx/src/main/java"))) {
      for (Path p : paths.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = Files.readString(p);
        for (String banned : List.of("org.jgroups.protocols.DISCARD", "dev.cloister.junit5", "dev.cloister.launcher",
          "org.junit", "ProcessBuilder")) {
          if (text.contains(banned)) {
            found.add(p + " names " + banned);
          }
        }
      }
    }
    assertEquals(List.of(), found);
  }

  @Test
  void importsFlowDownTheLayers() throws IOException {
    List<String> violations = new ArrayList<>();
    int files = 0;
    try (Stream<Path> paths = Files.walk(Repository.path("cloister-vertx/src/main/java"))) {
      for (Path p : paths.filter(x -> x.toString().endsWith(".java")).toList()) {
        files++;
        String source = Files.readString(p);
        Matcher pm = PACKAGE.matcher(source);
        assertTrue(pm.find(), p + " has no package");
        String pkg = pm.group(1);
        String type = p.getFileName().toString().replace(".java", "");
        int own = rank(pkg, type);
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
          String importedPkg = m.group(1);
          String imported = m.group(2);
          if (importedPkg.equals(pkg)) {
            continue;
          }
          int theirs = rank(importedPkg, imported);
          boolean vocabularyToConfig = own == VOCABULARY_RANK && theirs == 0;
          String arrow = pkg + "." + type + " -> " + importedPkg + "." + imported;
          if (theirs > own && !vocabularyToConfig && !arrow.equals(FACTORY_ARROW)
            && !arrow.equals(WORKERS_FACTORY_ARROW)) {
            violations.add(arrow);
          }
        }
      }
    }
    assertTrue(files > 50, "sources found: " + files);
    assertEquals(List.of(), violations, "imports that point up the layers");
  }
}
