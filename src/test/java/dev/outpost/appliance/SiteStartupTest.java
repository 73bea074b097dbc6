package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteStartupTest {

  @TempDir
  Path tmp;

  @Test
  void freshDataDirBecomesReadyAndSignsInTheBootstrapAdmin() {
    // GIVEN an empty data dir
    try (TestSite site = TestSite.start(tmp.resolve("node"))) {
      // WHEN the site has started
      Response ready = site.client().get("/health/ready", null);

      // THEN every readiness check is up and the admin can sign in
      assertThat(ready.status()).as(ready.body()).isEqualTo(200);
      JsonObject checks = ready.json().getJsonObject("checks");
      assertThat(checks.fieldNames()).containsExactlyInAnyOrder("db", "cluster", "hub");
      checks.forEach(e -> assertThat(((JsonObject) e.getValue()).getString("status")).as(e.getKey()).isEqualTo("UP"));
      assertThat(site.adminToken()).hasSizeGreaterThan(40);
    }
  }
}
