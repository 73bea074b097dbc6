package dev.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.Outpost;
import dev.outpost.testing.Poll;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code outpost admin audit verify} and {@code export} against a real site: the log verifies with the checkpoints the
 * site signed, the export holds every entry linked to the one before it, and rows edited, deleted and reordered
 * directly in PostgreSQL are each named by id and position.
 */
class AuditVerifyCliTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static Path home;

  @BeforeAll
  static void startSite() throws Exception {
    site = TestSite.start(tmp.resolve("node"), Map.of("audit.checkpoint-interval", "1s"));
    home = tmp.resolve("admin-home");
    Path password = tmp.resolve("admin-password");
    Files.writeString(password, TestSite.ADMIN_PASSWORD);
    Cli login = cli("admin", "--url", "https://127.0.0.1:" + site.httpsPort(), "--cacert",
        site.dataDir().resolve("tls/ca.crt").toString(), "--home", home.toString(), "login", "--user", "admin",
        "--password-file", password.toString());
    assertThat(login.code()).as(login.err()).isZero();
  }

  @AfterAll
  static void stopSite() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void anUntouchedLogVerifiesAndExportsLinkedEntriesAndEachTamperedRowIsNamed() throws Exception {
    // GIVEN an admin's changes, and a checkpoint the site signed after them
    AdminCalls admin = new AdminCalls(site.client(), site.adminToken());
    for (int i = 0; i < 10; i++) {
      admin.create("pools", new JsonObject().put("name", "verify-" + i).put("maxSessionsPerHost", 2));
    }
    long head = Sql.count(site, "SELECT seq FROM audit_chain_head");
    Poll.until("a checkpoint covers the changes", Duration.ofSeconds(30),
        () -> Sql.count(site, "SELECT coalesce(max(seq), 0) FROM audit_checkpoints") >= head);

    // WHEN the admin verifies the log
    Cli clean = cli("admin", "--home", home.toString(), "audit", "verify");

    // THEN it holds, its checkpoints' signatures too, and the command says so with exit code 0
    assertThat(clean.code()).as(clean.err()).isZero();
    JsonObject report = new JsonObject(clean.out());
    assertThat(report.getBoolean("ok")).isTrue();
    assertThat(report.getLong("entries")).isEqualTo(head);
    assertThat(report.getJsonObject("checkpoints").getInteger("verified")).isPositive();
    assertThat(report.getJsonObject("checkpoints").getJsonArray("keys").getJsonObject(0).getBoolean("sealedBySite"))
        .isTrue();

    // WHEN it exports the log to a file
    Path file = tmp.resolve("audit.jsonl");
    Cli export = cli("admin", "--home", home.toString(), "audit", "export", "--output", file.toString());

    // THEN every entry is a line, in chain order, each linked to the one before it
    assertThat(export.code()).as(export.err()).isZero();
    List<JsonObject> lines = Files.readAllLines(file).stream().map(JsonObject::new).toList();
    assertThat(lines.size()).isGreaterThanOrEqualTo((int) head);
    assertThat(lines.get(0).getString("prevHash")).isEqualTo("0".repeat(64));
    for (int i = 1; i < lines.size(); i++) {
      assertThat(lines.get(i).getLong("position")).isEqualTo(i + 1L);
      assertThat(lines.get(i).getString("prevHash")).isEqualTo(lines.get(i - 1).getString("hash"));
    }
    assertThat(export.err()).contains("exported " + lines.size() + " audit entries");
    // AND an export after a position carries only what came later
    Cli later = cli("admin", "--home", home.toString(), "audit", "export", "--after", Long.toString(head - 2));
    assertThat(later.out().lines().map(JsonObject::new).map(line -> line.getLong("position")).toList())
        .startsWith(head - 1, head);

    // WHEN someone with access to PostgreSQL edits one pool's entry, deletes another's and swaps two more
    long edited = positionOf("verify-2");
    long deleted = positionOf("verify-4");
    long first = positionOf("verify-6");
    long second = positionOf("verify-7");
    long editedId = idAt(edited);
    long firstId = idAt(first);
    long secondId = idAt(second);
    Sql.update(site, "UPDATE audit_log SET target_name = 'innocent' WHERE seq = $1", edited);
    Sql.update(site, "DELETE FROM audit_log WHERE seq = $1", deleted);
    Sql.update(site, "UPDATE audit_log SET seq = -1 WHERE seq = $1", first);
    Sql.update(site, "UPDATE audit_log SET seq = $1 WHERE seq = $2", first, second);
    Sql.update(site, "UPDATE audit_log SET seq = $1 WHERE seq = -1", second);
    Cli tampered = cli("admin", "--home", home.toString(), "audit", "verify");

    // THEN the command fails, and names each of them by kind, id and position
    assertThat(tampered.code()).isEqualTo(1);
    assertThat(tampered.err()).contains("the audit log does not verify: 4 problems");
    List<String> problems = new JsonObject(tampered.out()).getJsonArray("problems").stream()
        .map(JsonObject.class::cast)
        .map(p -> p.getString("kind") + "@" + p.getLong("position") + "#" + p.getLong("id")).toList();
    assertThat(problems).containsExactly("edited@" + edited + "#" + editedId, "removed@" + deleted + "#null",
        "reordered@" + first + "#" + secondId, "reordered@" + second + "#" + firstId);
  }

  private static long positionOf(String pool) {
    return Sql.count(site, "SELECT seq FROM audit_log WHERE action = 'pool.create' AND target_name = $1", pool);
  }

  private static long idAt(long position) {
    return Sql.count(site, "SELECT id FROM audit_log WHERE seq = $1", position);
  }

  private record Cli(int code, String out, String err) {
  }

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CommandLine(new Outpost()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute(args);
    return new Cli(code, out.toString(), err.toString());
  }
}
