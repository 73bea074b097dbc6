package dev.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Hands a test class a real single-node {@link TestSite} with the test defaults ({@link TestSite#start(Path)}) as a
 * parameter of its {@code @BeforeAll} method (or of any other), and stops it and deletes its data dir when its scope
 * ends:
 * <ul>
 *   <li>{@code @ExtendWith(SiteExtension.class)}: a site of the class's own, started on first use and stopped after
 *       the class;</li>
 *   <li>{@link SharedSite}: the run's one shared default site, started by the first class that asks for it and
 *       stopped when the run ends, so that the classes marked so pay for one start between them.</li>
 * </ul>
 */
public final class SiteExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SiteExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestSite.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    boolean shared = AnnotationSupport.isAnnotated(context.getRequiredTestClass(), SharedSite.class);
    // the root store lives as long as the run, a class's store as long as the class: each closes what it holds
    ExtensionContext scope = shared ? context.getRoot() : classOf(context);
    return scope.getStore(NAMESPACE).getOrComputeIfAbsent(shared ? "shared" : "own", key -> StartedSite.start(),
        StartedSite.class).site();
  }

  private static ExtensionContext classOf(ExtensionContext context) {
    ExtensionContext scope = context;
    while (scope.getTestMethod().isPresent()) {
      scope = scope.getParent().orElseThrow();
    }
    return scope;
  }

  /** A started site and its data dir, both gone when the store that holds it closes. */
  private record StartedSite(Path dir, TestSite site) implements AutoCloseable {

    static StartedSite start() {
      Path dir;
      try {
        dir = Files.createTempDirectory("outpost-site");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new StartedSite(dir, TestSite.start(dir.resolve("node")));
    }

    @Override
    public void close() {
      try {
        site.close();
      } finally {
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
