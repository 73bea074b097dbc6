package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.recording.Recordings;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The console's Recordings section in real headless Chromium: a recorded terminal played back with xterm.js. */
class RecordingBrowserTest extends BrowserTest {

  @AfterEach
  void signOut() throws Exception {
    browser.open(web.url("/admin/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void anAdminPlaysARecordingAndSeesWhatTheHostPrinted() throws Exception {
    // GIVEN a recording on the node, as the gateway writes it: a prompt, the typed command, its answer, a resize
    String id = UUID.randomUUID().toString();
    JsonObject header = new JsonObject().put("version", 2).put("width", 80).put("height", 24)
        .put("timestamp", Instant.now().getEpochSecond()).put("title", "terry@127.0.0.1")
        .put("outpost", new JsonObject().put("id", id).put("sessionId", "s-" + id).put("userId", "u-terry")
            .put("username", "terry").put("login", "terry").put("hostId", "h1").put("host", "127.0.0.1")
            .put("node", "node").put("startedAt", Instant.now().toString()));
    List<JsonArray> events = List.of(new JsonArray().add(0.1).add("o").add("$ "),
        new JsonArray().add(0.5).add("i").add("echo $((6*7))\r"),
        new JsonArray().add(0.6).add("o").add("echo $((6*7))\r\n42\r\n$ "),
        new JsonArray().add(0.8).add("r").add("100x30"));
    StringBuilder cast = new StringBuilder(header.encode()).append('\n');
    events.forEach(e -> cast.append(e.encode()).append('\n'));
    Path file = web.site.dataDir().resolve(Recordings.DIRECTORY).resolve(id + ".cast");
    Files.writeString(file, cast);

    // WHEN an admin opens Recordings in the console and plays it
    browser.open(web.url("/admin/recordings"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);
    assertThat(browser.await("#view[data-section='recordings'] h1").getText()).isEqualTo("Recordings");
    assertThat(browser.await("#view table").getText()).contains("terry", "terry@127.0.0.1");
    browser.click("#view button[aria-label='Play the recording of terry']");
    browser.click("#recording-play");

    // THEN the player's screen shows the host's answer, the playback ends, and the page kept its strict CSP
    browser.until("the player shows 42", () -> browser.all("#recording-screen .xterm-rows > div").stream()
        .anyMatch(row -> row.getText().strip().equals("42")));
    browser.until("the playback ended", () -> "ended".equals(browser.attribute("#recording-player", "data-state")));
    assertThat(browser.await("#recording-play").getText()).isEqualTo("Play again");
    assertThat(browser.cspViolations()).isEmpty();

    // AND the download is in the audit log
    assertThat(web.client.get("/admin/api/v1/audit?targetType=recording", web.adminToken).json()
        .getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(e -> e.getString("action").equals("recording.download") && e.getString("targetId").equals(id)))
        .isTrue();
    Files.deleteIfExists(file);
  }
}
