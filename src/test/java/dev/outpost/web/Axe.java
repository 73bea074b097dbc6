package dev.outpost.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Runs axe-core (the copy bundled in Deque's axe-core Maven artifact, pinned in pom.xml) in the page under test
 * and returns the violations of serious or critical impact, one line each. The script is injected through the
 * WebDriver protocol, which the page's CSP does not govern; it is never part of webroot/.
 */
final class Axe {

  private static final Set<String> BLOCKING = Set.of("serious", "critical");
  private static final String SOURCE = load();

  private Axe() {
  }

  static List<String> seriousViolations(Browser browser) {
    browser.script(SOURCE);
    Object result = browser.asyncScript("const done = arguments[arguments.length - 1];"
        + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        + "'best-practice']}, resultTypes: ['violations']})"
        + ".then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify([{id: 'axe-error', "
        + "impact: 'critical', help: String(e), nodes: []}])));");
    JsonArray violations = new JsonArray((String) result);
    return violations.stream().map(JsonObject.class::cast)
        .filter(v -> BLOCKING.contains(v.getString("impact")))
        .map(v -> v.getString("impact") + " " + v.getString("id") + ": " + v.getString("help") + " at "
            + v.getJsonArray("nodes").stream().map(JsonObject.class::cast)
                .map(n -> String.valueOf(n.getValue("target"))).toList())
        .toList();
  }

  private static String load() {
    try (InputStream in = Axe.class.getClassLoader().getResourceAsStream("axe.min.js")) {
      if (in == null) {
        throw new IllegalStateException("axe.min.js is not on the test classpath (com.deque.html.axe-core:selenium)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
