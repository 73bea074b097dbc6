package dev.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.Rsyslog;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log delivered to a real rsyslog from Debian over TLS: every entry once, in chain order, as an RFC 5424
 * message carrying the entry's JSON line, and nothing lost while the collector is stopped and started again.
 */
class SyslogExportTest {

  /** {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD BOM MSG}. */
  private static final Pattern RFC5424 = Pattern.compile(
      "<(\\d+)>1 (\\S+) (\\S+) outpost - (\\S+) - \uFEFF(\\{.*\\})");

  @TempDir
  static Path tmp;
  static Rsyslog collector;
  static TestSite site;
  static AdminCalls admin;

  @BeforeAll
  static void start() {
    collector = Rsyslog.start(tmp.resolve("rsyslog"));
    site = TestSite.start(tmp.resolve("node"), Map.of("audit.syslog.collectors", collector.address(),
        "audit.syslog.ca-file", collector.caFile().toString(), "audit.syslog.facility", "local3"));
    admin = new AdminCalls(site.client(), site.adminToken());
  }

  @AfterAll
  static void stop() {
    if (site != null) {
      site.close();
    }
    if (collector != null) {
      collector.close();
    }
  }

  @Test
  void everyEntryReachesTheCollectorOnceInOrderAlsoAcrossACollectorRestart() throws Exception {
    // GIVEN an admin's changes
    for (int i = 0; i < 5; i++) {
      admin.create("pools", new JsonObject().put("name", "before-" + i).put("maxSessionsPerHost", 2));
    }

    // THEN the collector receives every entry of the log as an RFC 5424 message over TLS
    long head = head();
    Poll.until("the collector has the first entries", Duration.ofSeconds(60), () -> received().size() >= head);
    JsonObject first = new JsonObject(fields(lastMessage("before-4")).group(5));
    Matcher header = fields(lastMessage("before-4"));
    assertThat(Integer.parseInt(header.group(1))).isEqualTo(19 * 8 + 5); // local3, notice
    assertThat(header.group(2)).isEqualTo(first.getString("at"));
    assertThat(header.group(3)).isEqualTo(first.getString("node"));
    assertThat(header.group(4)).isEqualTo("pool.create");
    assertThat(first.getString("targetName")).isEqualTo("before-4");
    assertThat(first.getString("hash")).isEqualTo(Sql.rows(site, "SELECT encode(hash, 'hex') AS hash FROM audit_log "
        + "WHERE seq = $1", first.getLong("position")).get(0).getString("hash"));

    // WHEN the collector stops, the admin goes on working, and the collector starts again
    collector.stop();
    for (int i = 0; i < 5; i++) {
      admin.create("pools", new JsonObject().put("name", "during-" + i).put("maxSessionsPerHost", 2));
    }
    long during = head();
    double failedBefore = failures();
    Poll.until("deliveries fail while the collector is down", Duration.ofSeconds(60),
        () -> failures() >= failedBefore + 2);
    assertThat(received()).hasSize((int) head);
    collector.start();

    // THEN the collector receives what it missed, and has every position of the chain exactly once, in order
    Poll.until("the collector has every entry", Duration.ofSeconds(90), () -> received().size() >= during);
    assertThat(received()).containsExactlyElementsOf(LongStream.rangeClosed(1, during).boxed().toList());
    assertThat(Sql.count(site, "SELECT seq FROM audit_export_cursors WHERE name = 'syslog'")).isEqualTo(during);
  }

  /** Deliveries no collector confirmed, from the node's metrics. */
  private static double failures() {
    return site.client().get("/metrics", null).body().lines()
        .filter(line -> line.startsWith("outpost_audit_syslog_failures_total "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1))).sum();
  }

  private static long head() {
    return Sql.count(site, "SELECT seq FROM audit_chain_head");
  }

  /** The positions of the entries received, in the order they arrived. */
  private static List<Long> received() {
    List<Long> positions = new ArrayList<>();
    for (String message : collector.messages()) {
      Matcher m = RFC5424.matcher(message);
      if (m.matches()) {
        positions.add(new JsonObject(m.group(5)).getLong("position"));
      }
    }
    return positions;
  }

  private static String lastMessage(String targetName) {
    List<String> messages = collector.messages().stream().filter(m -> m.contains("\"" + targetName + "\"")).toList();
    assertThat(messages).isNotEmpty();
    return messages.get(messages.size() - 1);
  }

  private static Matcher fields(String message) {
    Matcher m = RFC5424.matcher(message);
    assertThat(m.matches()).as(message).isTrue();
    return m;
  }
}
