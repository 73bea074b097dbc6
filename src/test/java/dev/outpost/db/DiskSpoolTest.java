package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk spool alone: order, what a replay removes, a line cut short by a crash, the bound. Each test gets a Vert.x
 * of its own from the extension, closed after it.
 */
@ExtendWith(VertxExtension.class)
class DiskSpoolTest {

  @TempDir
  Path tmp;

  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @Test
  void aReplayRemovesWhatItReadAndKeepsWhatCameAfter(Vertx vertx) throws Exception {
    // GIVEN two lines spooled
    DiskSpool spool = new DiskSpool(vertx, tmp.resolve("spool"), "audit", 1_000, metrics);
    assertThat(await(spool.read()).entries()).isEmpty();
    assertThat(spool.isEmpty()).isTrue();
    assertThat(await(spool.append(List.of(n(1), n(2))))).isTrue();

    // WHEN they are read, a third line comes, and what was read is removed
    DiskSpool.Batch batch = await(spool.read());
    await(spool.append(List.of(n(3))));
    await(spool.remove(batch.bytes()));

    // THEN the read held the first two in order, and the third waits alone in an owner-only file
    assertThat(batch.entries()).containsExactly(n(1), n(2));
    assertThat(await(spool.read()).entries()).containsExactly(n(3));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spool.file()))).isEqualTo("rw-------");
    assertThat(metrics.get("outpost.spool.bytes").tag("spool", "audit").gauge().value()).isEqualTo(8);

    // WHEN that is removed too THEN no file is left
    await(spool.remove(await(spool.read()).bytes()));
    assertThat(spool.isEmpty()).isTrue();
    assertThat(spool.file()).doesNotExist();
  }

  @Test
  void aLineCutShortByACrashDoesNotSwallowTheNextOne(Vertx vertx) throws Exception {
    // GIVEN a spool file whose last line a crash cut short
    Files.createDirectories(tmp.resolve("spool"));
    Files.writeString(tmp.resolve("spool/audit.jsonl"), "{\"n\":1}\n{\"n\":");

    // WHEN the next run appends a line
    DiskSpool spool = new DiskSpool(vertx, tmp.resolve("spool"), "audit", 1_000, metrics);
    assertThat(spool.isEmpty()).isFalse();
    await(spool.append(List.of(n(2))));

    // THEN the new line stands on its own, and the damaged one is skipped
    assertThat(await(spool.read()).entries()).containsExactly(n(1), n(2));
  }

  @Test
  void pastItsBoundTheSpoolRefusesAndCounts(Vertx vertx) throws Exception {
    DiskSpool spool = new DiskSpool(vertx, tmp.resolve("spool"), "audit", 12, metrics);
    assertThat(await(spool.append(List.of(n(1))))).isTrue();
    assertThat(await(spool.append(List.of(n(2))))).isFalse();
    assertThat(await(spool.read()).entries()).containsExactly(n(1));
    assertThat(metrics.get("outpost.spool.refused").tag("spool", "audit").counter().count()).isEqualTo(1);
  }

  private static JsonObject n(int n) {
    return new JsonObject().put("n", n);
  }
}
