package dev.outpost.recording;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.admin.Auditor;
import dev.outpost.error.ClientErrorException;
import dev.outpost.gateway.TerminalRecorder.Recording;
import dev.outpost.gateway.TicketStore.Ticket;
import dev.outpost.recording.impl.AsciicastRecording;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The recordings folder of a node with a real Vert.x file system: the policy, the file's bounds, retention, ids. */
class RecordingsTest {

  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  static final Auditor NO_AUDIT = (sql, actor, action, type, id, name, detail) -> Future.succeededFuture();

  @TempDir
  Path dataDir;
  Vertx vertx;
  Recordings recordings;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    recordings = new Recordings(vertx, dataDir, new RecordingConfig(1024, Duration.ofDays(30)), () -> null,
        NO_AUDIT, "node-1", Clock.fixed(NOW, java.time.ZoneOffset.UTC));
    await(recordings.prepare());
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  @Test
  void aTicketWithoutThePolicyGetsARecordingThatKeepsNothing() {
    // GIVEN a ticket of a pool that does not record WHEN its terminal starts THEN nothing is recorded
    Ticket ticket = new Ticket("s1", "u1", "h1", "127.0.0.1", 22, NOW.plusSeconds(60), "", false, "alice");
    assertThat(recordings.start(ticket, "alice", 80, 24)).isSameAs(Recording.NONE);
  }

  @Test
  void aRecordingStopsAtItsLimitAndItsHashIsThatOfTheFile() throws Exception {
    // GIVEN a recording limited to 1024 bytes
    Path file = dataDir.resolve("limited.cast");
    CompletableFuture<AsciicastRecording.Completed> done = new CompletableFuture<>();
    JsonObject header = new JsonObject().put("version", 2).put("width", 80).put("height", 24);

    // WHEN far more output than that passes, with a character split between two reads (on a context, as the gateway)
    CompletableFuture<Void> fed = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      AsciicastRecording recording = new AsciicastRecording(vertx, file, header, 1024, done::complete);
      byte[] umlaut = "ü".getBytes(StandardCharsets.UTF_8);
      recording.output(Buffer.buffer(new byte[] {umlaut[0]}));
      recording.output(Buffer.buffer(new byte[] {umlaut[1]}));
      for (int i = 0; i < 100; i++) {
        recording.output(Buffer.buffer("line " + i + "\r\n"));
      }
      recording.end();
      fed.complete(null);
    });
    fed.get(10, TimeUnit.SECONDS);
    AsciicastRecording.Completed completed = done.get(10, TimeUnit.SECONDS);

    // THEN the file stayed within the limit, says so, and its hash and size are those of the file on disk
    byte[] bytes = Files.readAllBytes(file);
    assertThat(completed.truncated()).isTrue();
    assertThat(bytes.length).isLessThanOrEqualTo(1024).isEqualTo((int) completed.bytes());
    assertThat(completed.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(bytes)));
    List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
    assertThat(new JsonObject(lines.get(0)).getInteger("version")).isEqualTo(2);
    // AND the split character is whole in the first output event
    assertThat(new JsonArray(lines.get(1)).getString(2)).isEqualTo("ü");
  }

  @Test
  void retentionDeletesOnlyRecordingsLastWrittenBeforeIt() throws Exception {
    // GIVEN a recording written 31 days ago, one written a day ago, and a file that is no recording
    Path folder = dataDir.resolve(Recordings.DIRECTORY);
    Path old = Files.writeString(folder.resolve("00000000-0000-0000-0000-000000000001.cast"), "{}\n");
    Path recent = Files.writeString(folder.resolve("00000000-0000-0000-0000-000000000002.cast"), "{}\n");
    Path other = Files.writeString(folder.resolve("notes.txt"), "kept");
    Files.setLastModifiedTime(old, FileTime.from(NOW.minus(Duration.ofDays(31))));
    Files.setLastModifiedTime(recent, FileTime.from(NOW.minus(Duration.ofDays(1))));
    Files.setLastModifiedTime(other, FileTime.from(NOW.minus(Duration.ofDays(400))));

    // WHEN the retention runs THEN only the old recording is gone
    assertThat(await(recordings.purge())).isEqualTo(1);
    assertThat(old).doesNotExist();
    assertThat(recent).exists();
    assertThat(other).exists();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not-an-id", "../../secrets/cluster", "00000000-0000-0000-0000-00000000000G",
      "00000000-0000-0000-0000-0000000000011"})
  void whatIsNoRecordingIdIsAValidationProblem(String id) {
    // WHEN a recording is asked for by something that is no id THEN it is a 400 before any file is touched
    Throwable failure = recordings.file(id, true).cause();
    assertThat(failure).isInstanceOf(ClientErrorException.class);
    assertThat(((ClientErrorException) failure).status()).isEqualTo(400);
  }
}
