package dev.cloister.junit5.internal;

import dev.cloister.junit5.CloisterCluster;
import dev.cloister.junit5.CloisterTest;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;

import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.util.Optional;

/**
 * The JUnit 5 extension behind {@link CloisterTest}: starts the cluster of a class (before all its
 * tests) or of a method (before it), hands it to {@link CloisterCluster} parameters, prints every
 * node's state and last transitions when a test fails, and closes the cluster when its scope ends
 * (JUnit closes what the extension stores).
 */
public final class CloisterExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver,
  TestExecutionExceptionHandler {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CloisterExtension.class);
  private static final String CLASS_CLUSTER = "class-cluster";
  private static final String METHOD_CLUSTER = "method-cluster";

  /** Creates the extension; JUnit does. */
  public CloisterExtension() {
  }

  /** Stored so that JUnit closes the cluster when the scope that made it ends. */
  private record Held(CloisterCluster cluster) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      cluster.close();
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    classCluster(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    methodCluster(context);
  }

  private static Optional<CloisterCluster> classCluster(ExtensionContext context) {
    Optional<Class<?>> type = context.getTestClass();
    Optional<CloisterTest> a = type.flatMap(t -> AnnotationSupport.findAnnotation(t, CloisterTest.class));
    if (a.isEmpty()) {
      return Optional.empty();
    }
    // The class's context is the root of the class's store: its cluster lives as long as the class.
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    Held held = classContext.getStore(NAMESPACE).getOrComputeIfAbsent(CLASS_CLUSTER, k -> new Held(start(a.get())), Held.class);
    return Optional.of(held.cluster());
  }

  private static Optional<CloisterCluster> methodCluster(ExtensionContext context) {
    Optional<CloisterTest> a = context.getTestMethod().flatMap(m -> findOn(m));
    if (a.isEmpty()) {
      return Optional.empty();
    }
    Held held = context.getStore(NAMESPACE).getOrComputeIfAbsent(METHOD_CLUSTER, k -> new Held(start(a.get())), Held.class);
    return Optional.of(held.cluster());
  }

  private static Optional<CloisterTest> findOn(AnnotatedElement e) {
    return AnnotationSupport.findAnnotation(e, CloisterTest.class);
  }

  private static CloisterCluster start(CloisterTest a) {
    CloisterCluster.Builder b = CloisterCluster.builder().nodes(a.nodes()).consensus(a.consensus()).mode(a.mode())
      .timeout(Duration.ofSeconds(a.timeoutSeconds()));
    for (var v : a.deploy()) {
      b.deploy(v);
    }
    return b.start();
  }

  private static Optional<CloisterCluster> current(ExtensionContext context) {
    if (context.getTestMethod().isPresent()) {
      Optional<CloisterCluster> m = methodCluster(context);
      if (m.isPresent()) {
        return m;
      }
    }
    return classCluster(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == CloisterCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return current(context).orElseThrow(() -> new ParameterResolutionException(
      "a CloisterCluster parameter needs @CloisterTest on the test method or its class"));
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    Optional<Held> m = Optional.ofNullable(context.getStore(NAMESPACE).get(METHOD_CLUSTER, Held.class));
    Optional<Held> c = Optional.ofNullable(context.getStore(NAMESPACE).get(CLASS_CLUSTER, Held.class));
    Optional<Held> held = m.isPresent() ? m : c;
    held.ifPresent(h -> System.err.println(context.getDisplayName() + " failed; " + h.cluster().describe()));
    throw failure;
  }
}
