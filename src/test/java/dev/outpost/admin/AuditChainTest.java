package dev.outpost.admin;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.admin.impl.AuditCheckpoints;
import dev.outpost.admin.impl.AuditLog;
import dev.outpost.admin.impl.AuditVerifier;
import dev.outpost.admin.impl.ChainHash;
import dev.outpost.admin.impl.EarlierEntries;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.DbConfig;
import dev.outpost.db.DiskSpool;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log's hash chain on a real PostgreSQL shared by two nodes' pools: concurrent writers never fork it,
 * entries spooled during an outage join it in the order they were written, and the verifier names each edited,
 * removed or reordered row, a rewritten chain (by its signed checkpoints) and a signing key that is not the site's.
 */
class AuditChainTest {

  @TempDir
  static Path tmp;
  static io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;
  static Vertx vertx;
  static Database one;
  static Database two;
  static final SecretBox SECRETS = SecretBox.generate();
  static final AuditLog AUDIT = new AuditLog();

  @BeforeAll
  static void start() throws Exception {
    postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("pg-run").toFile()).start();
    vertx = Vertx.vertx();
    one = await(Database.start(vertx, new DbConfig(url(postgres.getPort()), 8), tmp.resolve("one")));
    two = await(Database.start(vertx, new DbConfig(url(postgres.getPort()), 8), tmp.resolve("two")));
  }

  @AfterAll
  static void stop() throws Exception {
    for (Database db : new Database[] {one, two}) {
      if (db != null) {
        await(db.close());
      }
    }
    if (vertx != null) {
      await(vertx.close());
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void emptyLog() throws Exception {
    await(one.pool().query("TRUNCATE audit_log, audit_checkpoints, audit_signing_keys RESTART IDENTITY").execute());
    await(one.pool().query("UPDATE audit_chain_head SET seq = 0, hash = decode(repeat('00', 32), 'hex'), "
        + "prev_hash = decode(repeat('00', 32), 'hex'), legacy_chained = true, legacy_first = NULL").execute());
  }

  @Test
  void writersOnTwoNodesSharingTheDatabaseNeverForkTheChain() throws Exception {
    // GIVEN two nodes' pools on one database
    // WHEN eight writers on each append 40 entries each at the same time, every one in a transaction of its own
    List<Future<Void>> writers = new ArrayList<>();
    for (Database node : List.of(one, two)) {
      for (int w = 0; w < 8; w++) {
        String who = (node == one ? "one-" : "two-") + w;
        writers.add(appendInTurn(node, who, 40));
      }
    }
    await(Future.all(writers));

    // THEN the 640 entries hold positions 1 to 640, each after a different entry, ids growing with positions
    List<JsonObject> chain = rows("SELECT id, seq, encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash "
        + "FROM audit_log ORDER BY seq");
    assertThat(chain).hasSize(640);
    assertThat(chain).extracting(row -> row.getLong("seq")).containsExactlyElementsOf(
        IntStream.rangeClosed(1, 640).mapToObj(Long::valueOf).toList());
    for (int i = 1; i < chain.size(); i++) {
      assertThat(chain.get(i).getString("prev")).isEqualTo(chain.get(i - 1).getString("hash"));
      assertThat(chain.get(i).getLong("id")).isGreaterThan(chain.get(i - 1).getLong("id"));
    }
    // AND the verifier finds nothing wrong
    JsonObject report = verify();
    assertThat(report.getJsonArray("problems")).isEmpty();
    assertThat(report.getBoolean("ok")).isTrue();
    assertThat(report.getLong("entries")).isEqualTo(640);
    assertThat(report.getJsonObject("head").getLong("position")).isEqualTo(640);
  }

  @Test
  void editedRemovedAndReorderedRowsAreEachNamedByIdAndPosition() throws Exception {
    // GIVEN twenty entries
    await(appendInTurn(one, "admin", 20));
    long fifth = idAt(5);
    long tenth = idAt(10);
    long fourteenth = idAt(14);
    long fifteenth = idAt(15);

    // WHEN someone with access to PostgreSQL edits the fifth, deletes the tenth and swaps the fourteenth and the
    // fifteenth
    sql("UPDATE audit_log SET detail = '{\"n\": 999}' WHERE seq = 5");
    sql("DELETE FROM audit_log WHERE seq = 10");
    sql("UPDATE audit_log SET seq = -1 WHERE seq = 14");
    sql("UPDATE audit_log SET seq = 14 WHERE seq = 15");
    sql("UPDATE audit_log SET seq = 15 WHERE seq = -1");

    // THEN the verifier names exactly those four entries, by id and position
    JsonObject report = verify();
    assertThat(report.getBoolean("ok")).isFalse();
    List<JsonObject> problems = problems(report);
    assertThat(problems).extracting(p -> p.getString("kind") + "@" + p.getLong("position") + "#" + p.getLong("id"))
        .containsExactly("edited@5#" + fifth, "removed@10#null", "reordered@14#" + fifteenth,
            "reordered@15#" + fourteenth);
    assertThat(problems.get(1).getString("detail")).contains("position 10 is missing", "entry " + idAt(9),
        "entry " + idAt(11));
    assertThat(rows("SELECT id FROM audit_log WHERE id = " + tenth)).isEmpty();
    assertThat(problems.get(2).getString("detail")).contains("belongs at position 15");
    assertThat(problems.get(3).getString("detail")).contains("belongs at position 14");
  }

  @Test
  void removingTheNewestEntriesShowsAgainstTheHead() throws Exception {
    // GIVEN five entries
    await(appendInTurn(one, "admin", 5));

    // WHEN the two newest are deleted
    sql("DELETE FROM audit_log WHERE seq > 3");

    // THEN positions 4 and 5 are named as removed
    assertThat(problems(verify())).extracting(p -> p.getString("kind") + "@" + p.getLong("position") + "-"
        + p.getLong("lastPosition")).containsExactly("removed@4-5");
  }

  @Test
  void entriesSpooledDuringADatabaseOutageJoinTheChainInTheOrderTheyWereWritten() throws Exception {
    try (TcpProxy network = new TcpProxy(postgres.getPort())) {
      // GIVEN a node that reaches the database through a network that fails, and its audit spool
      Database node = await(Database.start(vertx, new DbConfig(url(network.port()), 2), tmp.resolve("spooling")));
      DiskSpool spool = new DiskSpool(vertx, tmp.resolve("spooling/spool"), "audit", DiskSpool.DEFAULT_MAX_BYTES,
          new SimpleMeterRegistry());
      SpooledAudit spooled = new SpooledAudit(node, AUDIT, spool, Clock.systemUTC());
      try {
        spooled.start();
        Poll.until("the spool is looked at", Duration.ofSeconds(30), spool::isEmpty);
        await(spooled.record(actor("admin"), "session.logoff", "session", "s-1", "", new JsonObject()));

        // WHEN the database cannot be reached, three actions are recorded; then another node appends, the
        // database is back and one more action is recorded here
        network.down();
        for (int i = 2; i <= 4; i++) {
          await(spooled.record(actor("admin"), "session.logoff", "session", "s-" + i, "", new JsonObject()));
        }
        assertThat(spool.isEmpty()).isFalse();
        await(appendInTurn(two, "other-node", 1));
        network.restore();
        await(spooled.record(actor("admin"), "session.logoff", "session", "s-5", "", new JsonObject()));
        Poll.until("the spool is written", Duration.ofSeconds(30),
            () -> spool.isEmpty() && count("SELECT count(*) FROM audit_log") == 6);
      } finally {
        await(node.close());
      }

      // THEN the spooled entries follow each other in the chain in the order they were written, the one recorded
      // after them comes after them, and the chain holds
      List<String> targets = rows("SELECT target_id FROM audit_log ORDER BY seq").stream()
          .map(row -> row.getString("target_id")).toList();
      assertThat(targets).containsExactly("s-1", "other-node-0", "s-2", "s-3", "s-4", "s-5");
      assertThat(verify().getJsonArray("problems")).isEmpty();
    }
  }

  @Test
  void detailsOfEveryJsonShapeKeepTheirHashThroughTheDatabase() throws Exception {
    // GIVEN details with every kind of JSON value, as features record them
    List<JsonObject> details = List.of(
        new JsonObject().put("float", 1.5).put("whole", 2.0).put("big", 12345678901234L).put("negative", -0.25),
        new JsonObject().put("text", "quote \" backslash \\ newline \n tab \t bell \u0007 é 😀"),
        new JsonObject().put("nothing", (Object) null).put("yes", true).put("no", false),
        new JsonObject().put("nested", new JsonObject().put("b", 1).put("a", new JsonArray().add(1).add("x")
            .add(new JsonObject().put("z", 0.1)))),
        new JsonObject().put("instant", java.time.Instant.parse("2026-11-05T10:00:00.123456789Z")),
        new JsonObject());

    // WHEN each is appended
    await(one.transaction(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (JsonObject detail : details) {
        chain = chain.compose(v -> AUDIT.record(conn, actor("admin"), "shape.test", "shape", "t", "n", detail));
      }
      return chain;
    }));

    // THEN every row read back still matches its hash
    assertThat(verify().getJsonArray("problems")).isEmpty();
  }

  @Test
  void checkpointsShowAChainRewrittenWithItsHashesAndSignaturesOfAnotherKey() throws Exception {
    // GIVEN ten entries and a checkpoint the site signed of them
    AuditCheckpoints checkpoints = new AuditCheckpoints(one, SECRETS, () -> "node-1", Clock.systemUTC());
    await(checkpoints.start());
    await(appendInTurn(one, "admin", 10));
    assertThat(await(checkpoints.checkpoint())).contains(10L);
    assertThat(await(checkpoints.checkpoint())).isEmpty();
    JsonObject clean = verify(checkpoints);
    assertThat(clean.getJsonArray("problems")).isEmpty();
    assertThat(clean.getJsonObject("checkpoints").getInteger("verified")).isEqualTo(1);

    // WHEN someone edits the third entry and rewrites every hash after it and the head, so that the links hold
    sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    rehash(3);

    // THEN no entry shows, but the signed checkpoint names the rewrite
    assertThat(problems(verify(checkpoints))).extracting(p -> p.getString("kind") + "@" + p.getLong("position"))
        .containsExactly("checkpoint@10");

    // WHEN they also sign a checkpoint of their own with a key they stored beside the site's
    Ed25519PrivateKeyParameters forged = new Ed25519PrivateKeyParameters(new java.security.SecureRandom());
    String publicKey = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forged.generatePublicKey()
        .getEncoded());
    sql("INSERT INTO audit_signing_keys(kid, algorithm, public_key, private_key_enc, retired_at) "
        + "VALUES ('forged', 'Ed25519', '" + publicKey + "', 'AAAA', now())");
    JsonObject head = rows("SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_head").get(0);
    java.time.Instant at = java.time.Instant.parse("2026-11-05T10:00:00Z");
    byte[] hash = java.util.HexFormat.of().parseHex(head.getString("hash"));
    byte[] signed = AuditCheckpoints.signedBytes(10, hash, at);
    org.bouncycastle.crypto.signers.Ed25519Signer signer = new org.bouncycastle.crypto.signers.Ed25519Signer();
    signer.init(true, forged);
    signer.update(signed, 0, signed.length);
    await(one.pool().preparedQuery("UPDATE audit_checkpoints SET hash = $1, kid = 'forged', signature = $2, "
            + "signed_at = $3 WHERE seq = 10")
        .execute(Tuple.of(Buffer.buffer(hash), Buffer.buffer(signer.generateSignature()),
            at.atOffset(java.time.ZoneOffset.UTC))));

    // THEN the key is named as not the site's
    assertThat(problems(verify(checkpoints))).extracting(p -> p.getString("kind"))
        .containsExactly("signing-key");

    // WHEN a signature is altered THEN it no longer holds
    sql("UPDATE audit_checkpoints SET signature = set_byte(signature, 0, get_byte(signature, 0) # 1)");
    assertThat(problems(verify(checkpoints))).extracting(p -> p.getString("kind"))
        .containsExactlyInAnyOrder("signing-key", "checkpoint");
  }

  @Test
  void entriesFromBeforeTheChainAreChainedOnceInIdOrderAndLaterOnesOutsideItAreNamed() throws Exception {
    // GIVEN a log written before the chain existed
    await(one.pool().query("UPDATE audit_chain_head SET legacy_chained = false").execute());
    for (int i = 1; i <= 5; i++) {
      sql("INSERT INTO audit_log(actor, action, target_type, target_id) VALUES ('admin', 'pool.create', 'pool', 'p"
          + i + "')");
    }

    // WHEN two nodes start with the chain at the same time
    List<Integer> chained = await(Future.all(new EarlierEntries(vertx, one).chain(),
        new EarlierEntries(vertx, two).chain())).list();

    // THEN one of them chained the five entries in id order, and new ones follow them
    assertThat(chained).containsExactlyInAnyOrder(5, 0);
    await(appendInTurn(one, "admin", 1));
    assertThat(rows("SELECT target_id FROM audit_log ORDER BY seq")).extracting(row -> row.getString("target_id"))
        .containsExactly("p1", "p2", "p3", "p4", "p5", "admin-0");
    assertThat(verify().getJsonArray("problems")).isEmpty();

    // WHEN a row is inserted by hand, outside the chain
    sql("INSERT INTO audit_log(actor, action, target_type) VALUES ('mallory', 'pool.create', 'pool')");

    // THEN it is named
    assertThat(problems(verify())).extracting(p -> p.getString("kind")).containsExactly("unchained");
  }

  /** Appends {@code count} entries one after another, each in a transaction of its own, as one writer does. */
  private static Future<Void> appendInTurn(Database node, String who, int count) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < count; i++) {
      int n = i;
      chain = chain.compose(v -> node.transaction(conn -> AUDIT.record(conn, actor(who), "test.append", "test",
          who + "-" + n, "", new JsonObject().put("n", n))));
    }
    return chain;
  }

  /** Recomputes every hash from {@code position} on, and the head, as someone who knows the canonical form can. */
  private static void rehash(long position) throws Exception {
    List<Row> rows = new ArrayList<>();
    await(one.pool().query("SELECT * FROM audit_log ORDER BY seq").execute()).forEach(rows::add);
    byte[] previous = ChainHash.GENESIS;
    for (Row row : rows) {
      byte[] hash = row.getBuffer("hash").getBytes();
      if (row.getLong("seq") >= position) {
        hash = ChainHash.link(previous, ChainHash.content(AuditLog.Entry.fromRow(row)));
        await(one.pool().preparedQuery("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .execute(Tuple.of(Buffer.buffer(previous), Buffer.buffer(hash), row.getLong("id"))));
      }
      previous = hash;
    }
    await(one.pool().preparedQuery("UPDATE audit_chain_head SET hash = $1").execute(Tuple.of(Buffer.buffer(
        previous))));
  }

  private static JsonObject verify() throws Exception {
    return await(new AuditVerifier(vertx, one, Optional.empty()).verify());
  }

  private static JsonObject verify(AuditCheckpoints checkpoints) throws Exception {
    return await(new AuditVerifier(vertx, one, Optional.of(checkpoints)).verify());
  }

  private static List<JsonObject> problems(JsonObject report) {
    return report.getJsonArray("problems").stream().map(JsonObject.class::cast).toList();
  }

  private static Actor actor(String name) {
    return new Actor("user-" + name, name, "request-" + name, "node-1");
  }

  private static long idAt(long position) throws Exception {
    return rows("SELECT id FROM audit_log WHERE seq = " + position).get(0).getLong("id");
  }

  private static void sql(String statement) throws Exception {
    await(one.pool().query(statement).execute());
  }

  private static long count(String query) {
    try {
      return rows(query).get(0).getLong("count");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<JsonObject> rows(String query) throws Exception {
    List<JsonObject> result = new ArrayList<>();
    await(one.pool().query(query).execute()).forEach(row -> result.add(row.toJson()));
    return result;
  }

  private static String url(int port) {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }
}
