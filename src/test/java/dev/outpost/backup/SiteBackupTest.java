package dev.outpost.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.Outpost;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code outpost admin backup} of a running site and {@code outpost admin restore} onto a fresh data dir, with
 * real nodes on the embedded PostgreSQL: the restored node is the same site (CA, accounts, site model, enrolled
 * hosts), and a wrong passphrase, a changed archive or a data dir of another site are refused in one line.
 */
class SiteBackupTest {

  private static final String PASSPHRASE = "correct horse battery staple";
  private static final String ALICE_PASSWORD = "alice-password-123";

  @TempDir
  static Path tmp;
  static TestSite site;
  static Path archive;
  static Path passphraseFile;
  static String hostId;

  @BeforeAll
  static void backUpARunningSite() throws Exception {
    // GIVEN a running site with a pool, a resource, a user in a group entitled to it, and an enrolled host
    site = TestSite.start(tmp.resolve("site"));
    String admin = site.adminToken();
    SiteClient api = site.client();
    created(api.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":3}"));
    created(api.post("/admin/api/v1/resources", admin,
        "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\",\"port\":22}"));
    created(api.post("/admin/api/v1/users", admin,
        new JsonObject().put("username", "alice").put("password", ALICE_PASSWORD).encode()));
    created(api.post("/admin/api/v1/groups", admin, "{\"name\":\"ops\",\"members\":[\"alice\"]}"));
    created(api.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"group\":\"ops\"}"));
    hostId = enrollHost(api.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").json()
        .getString("token"));
    passphraseFile = tmp.resolve("passphrase");
    Files.writeString(passphraseFile, PASSPHRASE + "\n");

    // WHEN an admin backs it up while it runs
    archive = tmp.resolve("backups/site.opb");
    Files.createDirectories(archive.getParent());
    Cli backup = cli("admin", "backup", archive.toString(), "--data-dir", site.dataDir().toString(),
        "--passphrase-file", passphraseFile.toString());

    // THEN it prints what it saved, and the archive is private and holds nothing in clear
    assertThat(backup.exitCode()).as(backup.err()).isZero();
    JsonObject summary = new JsonObject(backup.out());
    assertThat(summary.getString("caSha256")).isEqualTo(site.node().caFingerprintDisplay());
    assertThat(summary.getJsonObject("rows").getInteger("users")).isEqualTo(2);
    assertThat(summary.getJsonObject("rows").getInteger("hosts")).isEqualTo(1);
    assertThat(summary.getJsonArray("files")).contains("tls/ca.crt", "tls/ca.key", "secrets/directory.key");
    assertThat(Files.getPosixFilePermissions(archive)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    String raw = new String(Files.readAllBytes(archive), StandardCharsets.ISO_8859_1);
    assertThat(raw).startsWith("OUTPOSTB").doesNotContain("PRIVATE KEY").doesNotContain("alice")
        .doesNotContain("argon2id");
  }

  @AfterAll
  static void stop() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aFreshNodeRestoredFromTheArchiveIsTheSameSite() throws Exception {
    // WHEN the archive is restored onto a new data dir
    Path fresh = tmp.resolve("restored");
    Cli restore = cli("admin", "restore", archive.toString(), "--data-dir", fresh.toString(), "--passphrase-file",
        passphraseFile.toString());
    assertThat(restore.exitCode()).as(restore.err()).isZero();
    assertThat(new JsonObject(restore.out()).getJsonObject("rows").getInteger("resources")).isEqualTo(1);

    // AND a node starts on it
    try (TestSite restored = TestSite.start(fresh)) {
      // THEN it has the same site CA
      assertThat(restored.node().caFingerprint()).isEqualTo(site.node().caFingerprint());
      assertThat(Fingerprints.sha256(Pem.readCertificate(fresh.resolve("tls/ca.crt"))))
          .isEqualTo(site.node().caFingerprint());
      assertThat(restored.console()).doesNotContain("Bootstrap admin created");
      // AND its database keeps the site's key for stored secrets (the lease signing key opened with it), sealed under
      // the restored node's own cluster secret
      assertThat(Files.readString(fresh.resolve("secrets/directory.key")))
          .isEqualTo(Files.readString(site.dataDir().resolve("secrets/directory.key")));
      assertThat(Files.readString(fresh.resolve("secrets/cluster.secret")))
          .isNotEqualTo(Files.readString(site.dataDir().resolve("secrets/cluster.secret")));
      assertThat(dev.outpost.testing.Sql.count(restored, "SELECT count(*) FROM stored_secrets_key")).isEqualTo(1);

      // AND the user signs in with her old password and sees her resource through her group
      SiteClient api = restored.client();
      String alice = api.login("alice", ALICE_PASSWORD);
      JsonArray resources = api.get("/api/v1/resources", alice).json().getJsonArray("items");
      assertThat(resources).hasSize(1);
      assertThat(resources.getJsonObject(0).getString("name")).isEqualTo("shell");

      // AND the host enrolled before the backup links to it with its stored certificate, trusting its stored CA
      Vertx agents = Vertx.vertx();
      try {
        AgentRunner runner = agent(null, restored.httpsPort());
        runner.link(agents, runner.prepare(agents));
        Poll.until("the enrolled host links to the restored node", Duration.ofSeconds(30),
            () -> restored.node().agentEndpoint().linked().stream().anyMatch(a -> a.hostId().equals(hostId)));
      } finally {
        agents.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }

      // AND the restore is in the audit log
      assertThat(api.get("/admin/api/v1/audit?limit=50", restored.adminToken()).body()).contains("site.restore");
    }
  }

  @Test
  void aWrongPassphraseIsNamedInOneLineAndLeavesNoHalfMadeDataDir() throws Exception {
    // GIVEN a wrong passphrase, and a data dir that does not exist yet (below a parent that does not either)
    Path wrong = tmp.resolve("wrong-passphrase");
    Files.writeString(wrong, "not the passphrase at all");
    Path parent = tmp.resolve("wrong");

    // WHEN the archive is restored with it
    Cli restore = cli("admin", "restore", archive.toString(), "--data-dir", parent.resolve("data").toString(),
        "--passphrase-file", wrong.toString());

    // THEN one line names the passphrase and says the restore removed what it had made: nothing is left
    assertThat(restore.exitCode()).isEqualTo(1);
    assertThat(restore.err().strip()).isEqualTo("outpost admin: " + archive + ": wrong passphrase for this archive; "
        + "removed " + parent + ", which the restore had made");
    assertThat(parent).doesNotExist();

    // WHEN the data dir was made beforehand (as an admin does, to give it its owner)
    Path prepared = Files.createDirectories(tmp.resolve("prepared"));
    Cli again = cli("admin", "restore", archive.toString(), "--data-dir", prepared.toString(), "--passphrase-file",
        wrong.toString());

    // THEN it stays, as empty as it was
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err().strip()).endsWith("wrong passphrase for this archive; removed outpost.lock from "
        + prepared + ", which the restore had made").doesNotContain("\n");
    try (var left = Files.list(prepared)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aChangedArchiveIsRefusedInOneLine() throws Exception {
    // GIVEN a copy of the archive with one byte of its content changed
    byte[] bytes = Files.readAllBytes(archive);
    bytes[bytes.length - 40] ^= 0x01;
    Path changed = tmp.resolve("changed.opb");
    Files.write(changed, bytes);

    Cli restore = cli("admin", "restore", changed.toString(), "--data-dir", tmp.resolve("changed").toString(),
        "--passphrase-file", passphraseFile.toString());

    assertThat(restore.exitCode()).isEqualTo(1);
    assertThat(restore.err().strip()).isEqualTo("outpost admin: " + changed + ": the archive is damaged or was "
        + "changed after it was written (authentication failed); use another copy; removed " + tmp.resolve("changed")
        + ", which the restore had made");
    assertThat(tmp.resolve("changed")).doesNotExist();
  }

  @Test
  void aRunningNodeOrAnotherSitesDataDirIsNotOverwritten() throws Exception {
    // WHEN the archive is restored onto the data dir of the running node THEN it refuses
    Cli running = cli("admin", "restore", archive.toString(), "--data-dir", site.dataDir().toString(),
        "--passphrase-file", passphraseFile.toString());
    assertThat(running.exitCode()).isEqualTo(1);
    assertThat(running.err()).contains("a node runs on " + site.dataDir() + ": stop it first");

    // GIVEN the data dir of another site, stopped
    Path other = tmp.resolve("other");
    TestSite.start(other).close();
    byte[] otherCa = Files.readAllBytes(other.resolve("tls/ca.crt"));

    // WHEN the archive is restored onto it THEN it refuses and leaves it as it was
    Cli refused = cli("admin", "restore", archive.toString(), "--data-dir", other.toString(),
        "--passphrase-file", passphraseFile.toString());
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("belongs to another site", "nothing was written to " + other);
    assertThat(Files.readAllBytes(other.resolve("tls/ca.crt"))).isEqualTo(otherCa);

    // AND a backup never overwrites an existing file
    Cli again = cli("admin", "backup", archive.toString(), "--data-dir", site.dataDir().toString(),
        "--passphrase-file", passphraseFile.toString());
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("exists already");
  }

  /** Enrolls one session host with the real agent code (no link needed) and returns its id. */
  private static String enrollHost(String token) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      List<AgentIdentity> identities = agent(token, site.httpsPort()).prepare(vertx);
      return identities.get(0).hostId();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** The agent of the one session host: enrolls with {@code token}, or runs on its stored identity when null. */
  private static AgentRunner agent(String token, int appliancePort) {
    return new AgentRunner(new AgentRunner.Options(List.of(URI.create("https://localhost:" + appliancePort)), token,
        token == null ? null : "127.0.0.1", tmp.resolve("agent"), "backed-up-host", null, 0, "test",
        OutboundProxy.direct()), line -> { });
  }

  private static void created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
  }

  /** The outcome of one command line run in this JVM. */
  record Cli(int exitCode, String out, String err) {
  }

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CommandLine(new Outpost()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute(new ArrayList<>(List.of(args)).toArray(String[]::new));
    return new Cli(code, out.toString(), err.toString());
  }
}
