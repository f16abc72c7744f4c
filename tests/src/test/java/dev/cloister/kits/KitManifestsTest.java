package dev.cloister.kits;

import dev.cloister.testing.Repository;
import dev.cloister.CloisterHttpVerticle;
import dev.cloister.CloisterOptions;
import dev.cloister.impl.config.OptionTable;
import dev.cloister.impl.config.Sentry;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Docker and Kubernetes kits parse and agree with the code: ports, probe paths and every
 * {@code CLOISTER_*} variable, so that renaming any of them in the code breaks this test, not a
 * deployment.
 */
class KitManifestsTest {

  private static final Path K8S = Repository.path("k8s");
  private static final Path DOCKER = Repository.path("docker");
  private static final int CLUSTER_PORT = CloisterOptions.DEFAULT_CLUSTER_PORT;
  private static final int HTTP_PORT = CloisterHttpVerticle.DEFAULT_PORT;
  private static final Pattern ENV_NAME = Pattern.compile("CLOISTER_[A-Z0-9_]*[A-Z0-9]");

  // ---- YAML access, kept tiny: a failed cast or a missing key fails the test with its path ----

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node, String what) {
    assertTrue(node instanceof Map, what + " is not a mapping: " + node);
    return (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node, String what) {
    assertTrue(node instanceof List, what + " is not a list: " + node);
    return (List<Object>) node;
  }

  private static Object at(Object root, String path) {
    Object node = root;
    for (String key : path.split("\\.")) {
      node = map(node, path).get(key);
      assertNotNull(node, "missing " + path);
    }
    return node;
  }

  private static List<Map<String, Object>> k8sDocuments() throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(K8S)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
        for (Object doc : new Yaml().loadAll(Files.readString(f))) {
          if (doc != null) {
            docs.add(map(doc, f.toString()));
          }
        }
      }
    }
    return docs;
  }

  private static Map<String, Object> kind(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> found = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertEquals(1, found.size(), "expected one " + kind + " in k8s/");
    return found.get(0);
  }

  private static Map<String, Object> compose() throws IOException {
    return map(new Yaml().load(Files.readString(DOCKER.resolve("compose.yml"))), "compose.yml");
  }

  private static Map<String, Object> container(Map<String, Object> statefulSet) {
    List<Object> containers = list(at(statefulSet, "spec.template.spec.containers"), "containers");
    assertEquals(1, containers.size());
    return map(containers.get(0), "container");
  }

  /** The container's env as name → value, with the downward-API values replaced by examples. */
  private static Map<String, String> k8sEnvironment(Map<String, Object> container) {
    Map<String, String> env = new HashMap<>();
    for (Object e : list(container.get("env"), "env")) {
      Map<String, Object> var = map(e, "env var");
      String name = (String) var.get("name");
      if (var.containsKey("value")) {
        env.put(name, String.valueOf(var.get("value")));
      } else {
        String field = (String) at(var, "valueFrom.fieldRef.fieldPath");
        env.put(name, switch (field) {
          case "status.podIP" -> "10.244.1.7";
          case "metadata.name" -> "cloister-1";
          default -> throw new AssertionError("unexpected fieldRef " + field + " for " + name);
        });
      }
    }
    return env;
  }

  private static Map<String, String> composeEnvironment(Map<String, Object> app) {
    Map<String, String> env = new HashMap<>();
    map(app.get("environment"), "environment").forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  private static Set<Integer> ports(List<Object> entries) {
    // Compose writes "8558" or "8558/tcp" or "host:container"; the container side is what counts.
    return entries.stream().map(String::valueOf)
      .map(s -> s.replaceAll("/.*", ""))
      .map(s -> s.substring(s.lastIndexOf(':') + 1))
      .map(Integer::valueOf).collect(Collectors.toCollection(TreeSet::new));
  }

  // ---- the checks ----

  @Test
  void everyCloisterVariableInTheKitsAndDocsIsAnOption() throws IOException {
    Set<String> known = OptionTable.names().stream().map(OptionTable::environmentVariable).collect(Collectors.toSet());
    Map<String, String> unknown = new HashMap<>();
    int seen = 0;
    for (Path dir : List.of(K8S, DOCKER, Repository.path("docs"))) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        // Images (the dashboard's screenshot) hold no variable and are not text.
        for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".png")).toList()) {
          Matcher m = ENV_NAME.matcher(Files.readString(f));
          while (m.find()) {
            seen++;
            if (!known.contains(m.group())) {
              unknown.put(m.group(), f.toString());
            }
          }
        }
      }
    }
    assertTrue(seen > 0, "no CLOISTER_* variable found: is the working directory the project root?");
    assertEquals(Map.of(), unknown, "CLOISTER_* names that no option has; known: " + new TreeSet<>(known));
  }

  @Test
  void theHeadlessServicePublishesNotReadyPodsOnBothPorts() throws IOException {
    Map<String, Object> service = kind(k8sDocuments(), "Service");
    assertEquals("None", at(service, "spec.clusterIP"));
    // Discovery must see pods before they are ready, since readiness needs the others.
    assertEquals(Boolean.TRUE, at(service, "spec.publishNotReadyAddresses"));
    Map<String, Integer> ports = new HashMap<>();
    for (Object p : list(at(service, "spec.ports"), "service ports")) {
      Map<String, Object> port = map(p, "service port");
      ports.put((String) port.get("name"), (Integer) port.get("port"));
    }
    assertEquals(Map.of("cluster", CLUSTER_PORT, "http", HTTP_PORT), ports);
  }

  @Test
  void theStatefulSetMatchesTheServiceAndTheCode() throws IOException {
    List<Map<String, Object>> docs = k8sDocuments();
    Map<String, Object> service = kind(docs, "Service");
    Map<String, Object> sts = kind(docs, "StatefulSet");
    String serviceName = (String) at(service, "metadata.name");
    assertEquals(serviceName, at(sts, "spec.serviceName"));
    assertEquals("Parallel", at(sts, "spec.podManagementPolicy"));
    Map<String, Object> podLabels = map(at(sts, "spec.template.metadata.labels"), "pod labels");
    assertTrue(podLabels.entrySet().containsAll(map(at(service, "spec.selector"), "selector").entrySet()));
    assertEquals(at(sts, "spec.selector.matchLabels"), at(service, "spec.selector"));

    Map<String, Object> container = container(sts);
    Map<String, Integer> ports = new HashMap<>();
    for (Object p : list(container.get("ports"), "container ports")) {
      Map<String, Object> port = map(p, "container port");
      ports.put((String) port.get("name"), (Integer) port.get("containerPort"));
    }
    assertEquals(Map.of("cluster", CLUSTER_PORT, "http", HTTP_PORT), ports);

    assertEquals(CloisterHttpVerticle.READY_PATH, at(container, "readinessProbe.httpGet.path"));
    assertEquals(CloisterHttpVerticle.LIVE_PATH, at(container, "livenessProbe.httpGet.path"));
    assertEquals("http", at(container, "readinessProbe.httpGet.port"));
    assertEquals("http", at(container, "livenessProbe.httpGet.port"));

    Map<String, String> env = k8sEnvironment(container);
    assertTrue(env.containsKey(OptionTable.environmentVariable("consensus")));
    // The pod IP is bound, as the headless service publishes it.
    Map<String, Object> hostVar = list(container.get("env"), "env").stream().map(e -> map(e, "env var"))
      .filter(v -> OptionTable.environmentVariable("clusterHost").equals(v.get("name"))).findFirst().orElseThrow();
    assertEquals("status.podIP", at(hostVar, "valueFrom.fieldRef.fieldPath"));

    // The sentry is the service's fully qualified name: the resolver applies no search domains.
    String sentry = env.get(OptionTable.environmentVariable("sentry"));
    assertTrue(sentry.startsWith(serviceName + ".") && sentry.endsWith(".svc.cluster.local"), sentry);
    Sentry parsed = Sentry.parse(sentry, CLUSTER_PORT);
    assertTrue(parsed.isDns() && !parsed.isSrv(), parsed.toString());

    // The environment is valid for the code that reads it, and leaves the cluster port at 7800.
    CloisterOptions options = new CloisterOptions().applyEnvironment(env).validate();
    assertEquals("10.244.1.7", options.getClusterHost());
    assertEquals("cloister-1", options.getNodeName());
    int replicas = (Integer) at(sts, "spec.replicas");
    assertTrue(options.getConsensus() >= 1 && options.getConsensus() <= replicas, "consensus above the replicas");
    assertTrue(options.getClusterPort() == 0 || options.getClusterPort() == CLUSTER_PORT);
  }

  @Test
  void theDisruptionBudgetTakesOnePodAtATime() throws IOException {
    List<Map<String, Object>> docs = k8sDocuments();
    Map<String, Object> pdb = kind(docs, "PodDisruptionBudget");
    assertEquals("policy/v1", pdb.get("apiVersion"));
    assertEquals(1, at(pdb, "spec.maxUnavailable"));
    assertEquals(at(kind(docs, "StatefulSet"), "spec.selector.matchLabels"), at(pdb, "spec.selector.matchLabels"));
  }

  @Test
  void composeFormsOneClusterThroughTheServiceAlias() throws IOException {
    Map<String, Object> app = map(at(compose(), "services.app"), "services.app");
    Map<String, String> env = composeEnvironment(app);
    String sentry = env.get(OptionTable.environmentVariable("sentry"));
    List<Object> aliases = new ArrayList<>();
    map(app.get("networks"), "networks").values().forEach(n -> aliases.addAll(list(map(n, "network").get("aliases"), "aliases")));
    assertTrue(aliases.contains(sentry), "the sentry " + sentry + " is none of the aliases " + aliases);
    assertTrue(Sentry.parse(sentry, CLUSTER_PORT).isDns());
    CloisterOptions options = new CloisterOptions().applyEnvironment(env).validate();
    assertEquals(3, options.getConsensus(), "compose is documented as --scale app=3 with consensus 3");

    assertEquals("docker/Dockerfile", at(app, "build.dockerfile"));
    assertEquals("..", at(app, "build.context"));
    String check = String.join(" ", list(at(app, "healthcheck.test"), "healthcheck.test").stream().map(String::valueOf).toList());
    assertTrue(check.contains(":" + HTTP_PORT + CloisterHttpVerticle.READY_PATH), check);
  }

  @Test
  void composeAndKubernetesAgreeOnThePorts() throws IOException {
    Map<String, Object> app = map(at(compose(), "services.app"), "services.app");
    Set<Integer> composePorts = new TreeSet<>(ports(list(app.get("expose"), "expose")));
    composePorts.addAll(ports(list(app.get("ports"), "ports")));
    Set<Integer> k8sPorts = new TreeSet<>();
    for (Object p : list(at(kind(k8sDocuments(), "Service"), "spec.ports"), "service ports")) {
      k8sPorts.add((Integer) map(p, "service port").get("port"));
    }
    assertEquals(Set.of(CLUSTER_PORT, HTTP_PORT), composePorts);
    assertEquals(composePorts, k8sPorts);
  }

  @Test
  void theDockerfileExposesThePortsAndProbesReadiness() throws IOException {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    Matcher expose = Pattern.compile("(?m)^EXPOSE\\s+(.+)$").matcher(dockerfile);
    assertTrue(expose.find(), "no EXPOSE");
    assertEquals(Set.of(CLUSTER_PORT, HTTP_PORT), ports(List.of((Object[]) expose.group(1).trim().split("\\s+"))));
    assertTrue(dockerfile.contains("http://127.0.0.1:" + HTTP_PORT + CloisterHttpVerticle.READY_PATH));
    assertTrue(dockerfile.contains("examples.ClusterApp"));
    String instructions = dockerfile.lines().filter(l -> !l.trim().startsWith("#")).collect(Collectors.joining("\n"));
    // The image's build copies no test sources, so it must not compile them (.ci/docker-build-stage runs it).
    assertTrue(instructions.contains("-Dmaven.test.skip=true"), "the image's build must not compile the tests");
    assertTrue(instructions.contains("examples.ClusterApp"));
  }
}
