package dev.cloister.process;

import dev.cloister.testing.JavaProcess;
import dev.cloister.testing.LauncherAppMain;
import dev.cloister.testing.TestPorts;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.cloister.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app launcher on real node JVMs: init writes a file that run reads, every node of the user's
 * application reaches READY, and the nodes never outlive the launcher, whether it is stopped with
 * SIGTERM or killed with SIGKILL; a bad option exits 64 naming it.
 */
@Tag("process")
class AppLauncherTest {

  private static final String LAUNCHER = "dev.cloister.launcher.AppLauncher";

  @TempDir
  Path dir;

  private Path init(int nodes, String app) throws Exception {
    Path file = dir.resolve("cloister-local.json");
    int base = TestPorts.block(nodes).get(0);
    try (JavaProcess init = JavaProcess.launch(LAUNCHER, Map.of(), "init", "--file", file.toString(),
      "--nodes", String.valueOf(nodes), "--main", LauncherAppMain.class.getName(), "--base-port", String.valueOf(base),
      "--app", app, "--env", "LAUNCHER_TEST=yes")) {
      assertEquals(0, init.awaitExit(60_000), String.join("\n", init.lines()));
    }
    return file;
  }

  private static List<Long> childPids(JavaProcess launcher, int nodes) {
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      String prefix = "cloister: node-" + i + " pid ";
      String line = launcher.awaitLine(prefix, l -> l.startsWith(prefix), 60_000);
      pids.add(Long.parseLong(line.substring(prefix.length()).trim()));
    }
    return pids;
  }

  private static void awaitAllReady(JavaProcess launcher, int nodes) {
    launcher.awaitLine("all nodes READY", l -> l.startsWith("cloister: all " + nodes + " nodes READY"), 180_000);
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void initWritesAFileThatRunReadsAndEveryNodeReachesReady() throws Exception {
    Path file = init(3, "launcherready");
    JsonObject written = new JsonObject(Files.readString(file));
    assertEquals(3, written.getInteger("nodes"));
    assertEquals(LauncherAppMain.class.getName(), written.getString("main"));
    assertEquals("yes", written.getJsonObject("env").getString("LAUNCHER_TEST"));
    try (JavaProcess again = JavaProcess.launch(LAUNCHER, Map.of(), "init", "--file", file.toString())) {
      assertEquals(1, again.awaitExit(60_000), "init must not overwrite without --force");
    }
    try (JavaProcess launcher = JavaProcess.launch(LAUNCHER, Map.of(), "run", "--file", file.toString(),
      "--until-ready")) {
      awaitAllReady(launcher, 3);
      for (int i = 0; i < 3; i++) {
        String node = "node-" + i;
        launcher.awaitLine(node + "'s state", l -> l.startsWith("cloister: " + node + " READY members "), 30_000);
        launcher.awaitLine(node + "'s own output, prefixed",
          l -> l.equals("[" + node + "] app started " + node), 30_000);
      }
      assertEquals(0, launcher.awaitExit(120_000));
    }
  }

  @Test
  void sigtermStopsEveryNode() throws Exception {
    Path file = init(2, "launcherterm");
    try (JavaProcess launcher = JavaProcess.launch(LAUNCHER, Map.of(), "run", "--file", file.toString(),
      "--grace", "20")) {
      List<Long> pids = childPids(launcher, 2);
      awaitAllReady(launcher, 2);
      launcher.terminate();
      launcher.awaitExit(60_000);
      for (long pid : pids) {
        assertTrue(!alive(pid), "node pid " + pid + " outlived the launcher");
      }
      launcher.awaitLine("the stop report", l -> l.equals("cloister: all nodes stopped"), 10_000);
    }
  }

  @Test
  void nodesExitWhenTheLauncherIsKilled() throws Exception {
    Path file = init(2, "launcherkill");
    List<Long> pids;
    try (JavaProcess launcher = JavaProcess.launch(LAUNCHER, Map.of(), "run", "--file", file.toString())) {
      pids = childPids(launcher, 2);
      awaitAllReady(launcher, 2);
      // close() is SIGKILL: no shutdown hook of the launcher runs.
    }
    eventually("every node exited after the launcher was killed",
      () -> pids.stream().noneMatch(AppLauncherTest::alive),
      () -> pids.stream().filter(AppLauncherTest::alive).map(p -> p + " alive").toList());
  }

  @Test
  void aBadOptionExits64NamingIt() throws Exception {
    for (List<String> args : List.of(List.of("run", "--nodes", "zero"), List.of("init", "--frobnicate"),
      List.of("run", "--base-port"))) {
      try (JavaProcess p = JavaProcess.launch(LAUNCHER, Map.of(), args.toArray(String[]::new))) {
        assertEquals(64, p.awaitExit(60_000), args.toString());
        String named = args.get(1);
        Optional<String> line = p.lines().stream().filter(l -> l.contains(named)).findFirst();
        assertTrue(line.isPresent(), "no line names " + named + ": " + p.lines());
      }
    }
  }
}
