package dev.cloister.observability;

import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterState;
import dev.cloister.CloisterStatus;
import dev.cloister.ShardedWorkers;
import dev.cloister.WorkOutcome;
import dev.cloister.WorkersOptions;
import dev.cloister.testing.InJvmCluster;
import dev.cloister.testing.InJvmCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.cloister.testing.Eventually.eventually;
import static dev.cloister.testing.InJvmCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}):
 * three nodes show as three members, a ring and the keys of a worker set each runs; one crashes
 * and the open page shows two, whose keys add up to the whole set again, without a reload.
 * Screenshots go to {@code target/}.
 */
@Tag("browser")
class DashboardBrowserTest {

  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  /** Keys of the worker set the page shows. */
  private static final int KEYS = 300;
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private static WebDriver browser(Path profile) {
    assumeTrue(Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
      "No browser: install Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER
        + ") to run the dashboard's browser test");
    // The system driver and browser, named outright, so that Selenium Manager never downloads one.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
      .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile, "--window-size=1440,1400", "--force-device-scale-factor=1");
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  private static boolean readyOn(Node n, List<String> members) {
    CloisterState s = n.state();
    return s.getStatus() == CloisterStatus.READY && s.memberNames().equals(members) && s.isConverged();
  }

  /** The data-member attributes of the elements {@code css} selects, read in one script (the page re-renders). */
  @SuppressWarnings("unchecked")
  private static List<String> texts(WebDriver driver, String css) {
    return (List<String>) ((JavascriptExecutor) driver).executeScript("return Array.from(document.querySelectorAll("
      + "arguments[0])).map(function (e) { return e.getAttribute('data-member'); });", css);
  }

  private static String text(WebDriver driver, String id) {
    return (String) ((JavascriptExecutor) driver).executeScript(
      "var e = document.getElementById(arguments[0]); return e ? e.textContent : null;", id);
  }

  /** The workers panel: node → running keys of set {@code set}, and the total row under "all nodes". */
  @SuppressWarnings("unchecked")
  private static Map<String, String> workers(WebDriver driver, String set) {
    return (Map<String, String>) ((JavascriptExecutor) driver).executeScript("var out = {}; var set = arguments[0];"
      + "document.querySelectorAll('#workers tr[data-worker-node]').forEach(function (tr) {"
      + "  var td = tr.querySelector('td[data-set=\"' + set + '\"]');"
      + "  out[tr.getAttribute('data-worker-node')] = td ? td.textContent : null; });"
      + "var total = document.querySelector('#workers tr[data-worker-total] td[data-set=\"' + set + '\"]');"
      + "out['all nodes'] = total ? total.textContent : null; return out;", set);
  }

  /** Whether the panel shows exactly {@code nodes}, each running some of {@code keys} keys, {@code keys} in all. */
  private static boolean workersShow(WebDriver driver, List<String> nodes, int keys) {
    Map<String, String> shown = workers(driver, "orders");
    if (!String.valueOf(keys).equals(shown.get("all nodes")) || shown.size() != nodes.size() + 1) {
      return false;
    }
    return nodes.stream().allMatch(n -> shown.get(n) != null && shown.get(n).matches("[1-9][0-9]*"));
  }

  private static void screenshot(WebDriver driver, String name) throws Exception {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Path target = Path.of("target", name);
    Files.createDirectories(target.getParent());
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void threeNodesShowAsThreeMembersAndARingThenTwoAfterACrashWithoutAReload() throws Exception {
    Path profile = Files.createTempDirectory("cloister-chromium");
    WebDriver driver = browser(profile);
    try (InJvmCluster cluster = new InJvmCluster(3)) {
      int[] port = new int[1];
      List<Node> nodes = new ArrayList<>();
      nodes.add(cluster.start(0, cluster.options(0, 2), n -> {
        CloisterHttpVerticle verticle = new CloisterHttpVerticle("127.0.0.1", 0);
        await(n.vertx.deployVerticle(verticle));
        port[0] = verticle.actualPort();
      }));
      nodes.add(cluster.start(1, cluster.options(1, 2)));
      nodes.add(cluster.start(2, cluster.options(2, 2)));
      nodes.forEach(n -> await(n.deployment));
      List<String> three = List.of("node0", "node1", "node2");
      for (Node n : nodes) {
        eventually(n.index + " READY on three", () -> readyOn(n, three), n::transitions);
      }

      // A worker set on every node: the page's panel shows how many keys each runs.
      List<ShardedWorkers> sets = new ArrayList<>();
      for (Node n : nodes) {
        sets.add(await(ShardedWorkers.start(n.vertx, "orders", new WorkersOptions().setTick(1000),
          (key, payload) -> Future.succeededFuture(WorkOutcome.ok()))));
      }
      List<Future<Boolean>> puts = new ArrayList<>();
      for (int i = 0; i < KEYS; i++) {
        puts.add(sets.get(0).putNew("order-" + i, new JsonObject().put("i", i)));
      }
      await(Future.all(puts));
      driver.get("http://127.0.0.1:" + port[0] + "/cloister/");
      WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60), Duration.ofMillis(100));
      wait.ignoring(StaleElementReferenceException.class);
      wait.withMessage(() -> "three members, a ring of three and " + KEYS + " keys running on them; page shows "
        + texts(driver, "#members tr[data-member]") + ", workers " + workers(driver, "orders") + ", /cloister/workers "
        + ((JavascriptExecutor) driver).executeAsyncScript("var done = arguments[0]; fetch('workers').then("
          + "function (r) { return r.text(); }).then(done, function (e) { done(String(e)); });"))
        .until(d -> texts(d, "#members tr[data-member]").equals(three)
          && texts(d, "#ring-cloister .legend [data-member]").equals(three)
          && !texts(d, "#ring-cloister path.arc").isEmpty()
          && "yes".equals(text(d, "converged"))
          && workersShow(d, three, KEYS));
      assertEquals("READY", text(driver, "status"));
      assertEquals("node0", text(driver, "sentry"));
      List<String> owners = texts(driver, "#ring-cloister path.arc").stream().distinct().sorted().toList();
      assertEquals(three, owners, "every member owns arcs of the ring");
      @SuppressWarnings("unchecked")
      List<String> shares = (List<String>) ((JavascriptExecutor) driver).executeScript("return Array.from("
        + "document.querySelectorAll('#ring-cloister .legend .share')).map(function (e) { return e.textContent; });");
      assertEquals(3, shares.size(), shares.toString());
      for (String share : shares) {
        double percent = Double.parseDouble(share.replace("%", ""));
        assertTrue(percent > 25 && percent < 42, "each of three members holds about a third: " + shares);
      }
      screenshot(driver, "dashboard-three-nodes.png");

      // A marker that a reload would lose: the page must change in place.
      ((JavascriptExecutor) driver).executeScript("window.cloisterTestMarker = 42;");
      cluster.crash(nodes.get(2));
      List<String> two = List.of("node0", "node1");
      wait.withMessage(() -> "two members after the crash, running all " + KEYS + " keys; page shows "
        + texts(driver, "#members tr[data-member]") + ", workers " + workers(driver, "orders"))
        .until(d -> texts(d, "#members tr[data-member]").equals(two)
          && texts(d, "#ring-cloister .legend [data-member]").equals(two)
          && ((Number) ((JavascriptExecutor) d).executeScript("return document.querySelectorAll("
            + "\"#transitions li[data-from='READY'][data-to='REHASHING']\").length;")).intValue() >= 2
          && "READY".equals(text(d, "status"))
          && "yes".equals(text(d, "converged"))
          && String.valueOf(text(d, "missing")).contains(cluster.sentry().get(2))
          && workersShow(d, two, KEYS));
      assertEquals(42L, ((JavascriptExecutor) driver).executeScript("return window.cloisterTestMarker;"),
        "the page was not reloaded");
      assertEquals("live", text(driver, "connection"));
      screenshot(driver, "dashboard.png");
    } finally {
      driver.quit();
    }
  }
}
