package dev.outpost.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.RawHttps;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.TestHub;
import dev.outpost.testing.TestSite;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris on the appliance's HTTPS port and the hub's: a connection that sends its request headers one byte a
 * second is closed once {@code http.header-timeout} has passed, long before its headers could be complete, while
 * other clients are served meanwhile.
 */
class SlowlorisTest {

  /** Far more bytes than the deadline lets through at one a second: the server must end the dribble. */
  private static final String HEAD = "GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(120)
      + "\r\n\r\n";

  @TempDir
  static Path tmp;
  static TestSite site;
  static TestHub hub;

  @BeforeAll
  static void start() {
    site = TestSite.start(tmp.resolve("node"), Map.of("http.header-timeout", "3s"));
    hub = TestHub.start(tmp.resolve("hub"), Map.of("http.header-timeout", "3s"));
  }

  @AfterAll
  static void stop() {
    if (hub != null) {
      hub.close();
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aConnectionThatDribblesItsHeadersIsClosedWhileOthersAreServed() throws Exception {
    for (var target : List.of(
        new Listener("appliance", site.client(), new RawHttps(site.dataDir().resolve("tls/ca.crt"), site.httpsPort())),
        new Listener("hub", hub.client(), new RawHttps(hub.dataDir().resolve("tls/ca.crt"), hub.port())))) {
      // GIVEN a TLS connection to the listener
      try (SSLSocket slow = target.raw().connect()) {
        OutputStream out = slow.getOutputStream();
        InputStream in = slow.getInputStream();
        // the wait for the server's close is the pace of the dribble: one byte per second
        slow.setSoTimeout(1_000);
        byte[] head = HEAD.getBytes(StandardCharsets.US_ASCII);
        int sent = 0;
        boolean closed = false;
        boolean answeredSlow = false;
        int servedMeanwhile = 0;
        // WHEN it sends its request head one byte a second
        while (sent < head.length && !closed) {
          try {
            out.write(head[sent]);
            out.flush();
            sent++;
          } catch (IOException e) {
            closed = true;
            break;
          }
          if (sent == 2) {
            // AND meanwhile another client asks for something THEN it is served
            SiteClient.Response normal = target.client().get("/health/live", null);
            assertThat(normal.status()).as(target.name() + " while a connection dribbles").isEqualTo(200);
            servedMeanwhile++;
          }
          try {
            int read = in.read();
            closed = read < 0;
            answeredSlow |= read >= 0;
          } catch (SocketTimeoutException e) {
            // still open: send the next byte
          } catch (IOException e) {
            closed = true;
          }
        }

        // THEN the server closed the dribbling connection before its head was complete, without answering it
        assertThat(closed).as(target.name() + " closed the slow connection").isTrue();
        assertThat(sent).as(target.name() + " bytes of the head it let through").isLessThan(head.length);
        assertThat(answeredSlow).as(target.name() + " answered the slow connection").isFalse();
        assertThat(servedMeanwhile).isEqualTo(1);
      }

      // AND the listener still serves a new connection
      assertThat(target.client().get("/health/live", null).status()).isEqualTo(200);
    }
  }

  /** A listener under attack: a client for normal requests, and raw TLS for the attack. */
  private record Listener(String name, SiteClient client, RawHttps raw) {
  }
}
