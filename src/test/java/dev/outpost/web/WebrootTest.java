package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How the appliance serves webroot/: security headers on every file and route, caching, the console's routes. */
@ExtendWith(WebSite.class)
class WebrootTest {

  static SiteClient client;

  @BeforeAll
  static void start(WebSite web) {
    client = web.client;
  }

  @Test
  void everyFileAndRouteCarriesTheSecurityHeadersAndIsRevalidated() throws IOException {
    // GIVEN every file in webroot/ and the console's client-side routes
    List<String> paths = new ArrayList<>(webrootFiles());
    paths.addAll(List.of("/", "/admin/", "/admin/pools", "/admin/sessions", "/admin/enroll-tokens"));

    for (String path : paths) {
      // WHEN it is fetched
      Response response = client.get(path, null);

      // THEN it is there, with a strict CSP, no sniffing, no framing, and no long caching
      assertThat(response.status()).as(path).isEqualTo(200);
      assertSecurityHeaders(path, response);
      assertThat(response.headers().firstValue("Cache-Control")).as(path).hasValue("no-cache");
    }
  }

  @Test
  void filesHaveTheirTypesAndTheServiceWorkerIsNeverCachedLong() {
    Map<String, String> types = Map.of("/", "text/html", "/js/store.js", "javascript", "/sw.js", "javascript",
        "/css/outpost.css", "text/css", "/manifest.json", "application/json", "/icons/app.svg", "image/svg+xml",
        "/icons/icon-192.png", "image/png", "/admin/console.js", "javascript");
    types.forEach((path, type) -> assertThat(client.get(path, null).contentType()).as(path).contains(type));
    assertThat(client.get("/sw.js", null).headers().firstValue("Cache-Control")).hasValue("no-cache");
  }

  @Test
  void consoleRoutesServeTheConsoleButNeverHideTheAdminApi() {
    // WHEN a console route is asked for THEN it is the console's page
    Response route = client.get("/admin/hosts", null);
    assertThat(route.body()).contains("<script type=\"module\" src=\"/admin/console.js\">");
    Response bare = client.get("/admin", null);
    assertThat(bare.status()).isEqualTo(301);
    assertThat(bare.headers().firstValue("Location")).hasValue("/admin/");

    // WHEN an admin API path or a missing file is asked for THEN it is a 404 problem, with the same headers
    for (String path : List.of("/admin/api/v1/no-such-thing", "/admin/api/v2/pools", "/admin/missing.js",
        "/no-such-page")) {
      Response missing = client.get(path, null);
      assertThat(missing.status()).as(path).isIn(401, 404);
      assertThat(missing.contentType()).as(path).startsWith("application/problem+json");
      assertSecurityHeaders(path, missing);
    }
    // AND the admin API still answers under the console's path
    assertThat(client.get("/admin/api/v1/openapi.json", null).status()).isEqualTo(200);
  }

  @Test
  void theApisCarryTheSecurityHeadersToo() {
    for (String path : List.of("/api/v1/status", "/api/v1/me", "/admin/api/v1/pools", "/health/ready")) {
      assertSecurityHeaders(path, client.get(path, null));
    }
  }

  static void assertSecurityHeaders(String path, Response response) {
    String csp = response.headers().firstValue("Content-Security-Policy").orElse("");
    assertThat(csp).as(path).contains("default-src 'self'", "script-src 'self'", "style-src 'self'",
        "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'")
        .doesNotContain("unsafe-inline", "unsafe-eval");
    assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
    assertThat(response.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
    assertThat(response.headers().firstValue("Strict-Transport-Security")).as(path).isPresent();
    assertThat(response.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
  }

  private static List<String> webrootFiles() throws IOException {
    Path root = Path.of("webroot");
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).map(file -> "/" + root.relativize(file).toString().replace('\\', '/'))
          .sorted().toList();
    }
  }
}
