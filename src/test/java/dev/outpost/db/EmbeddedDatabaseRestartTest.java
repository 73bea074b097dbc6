package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real site on the embedded default whose PostgreSQL server is killed: the node starts it again by itself and
 * serves as before, without an operator.
 */
class EmbeddedDatabaseRestartTest {

  private static final String RESTARTS = "outpost_db_embedded_restarts_total";

  @TempDir
  Path tmp;

  @Test
  void aKilledPostmasterIsRestartedAndTheSiteIsReadyAgainWithoutAnOperator() throws Exception {
    try (TestSite site = TestSite.start(tmp.resolve("node"))) {
      // GIVEN a ready site on the embedded database, and its postmaster's pid from PostgreSQL's own pid file
      SiteClient client = site.client();
      assertThat(client.get("/health/ready", null).status()).isEqualTo(200);
      assertThat(metric(client, RESTARTS)).isZero();
      assertThat(metric(client, "outpost_db_embedded_up")).isEqualTo(1);
      Path pidFile = site.dataDir().resolve("db/pgdata/postmaster.pid");
      long pid = Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).strip());

      // WHEN the postmaster is killed with SIGKILL
      assertThat(ProcessHandle.of(pid).orElseThrow().destroyForcibly()).isTrue();

      // THEN the node restarts it: a new postmaster serves the same data dir, and readiness is back to 200
      Poll.until("the restart is counted", Duration.ofSeconds(60), () -> metric(client, RESTARTS) == 1);
      assertThat(Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).strip())).isNotEqualTo(pid);
      Poll.until("ready again", Duration.ofSeconds(60), () -> client.get("/health/ready", null).status() == 200);

      // AND the admin signs in and writes, and what was written reads back
      String admin = site.adminToken();
      Response created = client.post("/admin/api/v1/pools", admin,
          new JsonObject().put("name", "after-restart").put("maxSessionsPerHost", 3).encode());
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(client.get("/admin/api/v1/pools", admin).body()).contains("after-restart");

      // AND it took exactly one restart, and the server is reported up
      assertThat(metric(client, RESTARTS)).isEqualTo(1);
      assertThat(metric(client, "outpost_db_embedded_up")).isEqualTo(1);
    }
  }

  private static double metric(SiteClient client, String series) {
    return client.get("/metrics", null).body().lines().filter(l -> l.startsWith(series + " "))
        .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + series + " in /metrics"));
  }
}
