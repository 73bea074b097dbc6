package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.outpost.testing.SharedSite;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A user name made to forge log lines (a line break, then a fake entry, then terminal escapes) is logged as one
 * escaped line in the text format and as one valid JSON line, with the name intact, in the JSON format.
 */
@SharedSite
class LogForgingTest {

  private static final String FORGED = "eve\n2026-11-07T10:00:00.000+00:00 INFO  LoginService - Signed in "
      + "user=\"admin\"\r\u001b[2J\u001b[31mred\u0007\u009b";

  static TestSite site;

  @BeforeAll
  static void useSite(TestSite shared) {
    site = shared;
  }

  @Test
  void aForgedUserNameIsOneEscapedLogLine() {
    // GIVEN the node's logs written in the text format and in the JSON format
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    JsonLogLayout jsonLayout = new JsonLogLayout();
    jsonLayout.setContext(context);
    jsonLayout.start();
    List<OutputStreamAppender<ILoggingEvent>> appenders = List.of(capture(context, TextLogLayout.create(context),
        text), capture(context, jsonLayout, json));
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    appenders.forEach(root::addAppender);
    try {
      // WHEN someone signs in with the forged name
      SiteClient.Response refused = site.client().post("/api/v1/login", null,
          new JsonObject().put("username", FORGED).put("password", "wrong-password-123").encode());
      assertThat(refused.status()).isEqualTo(401);
    } finally {
      appenders.forEach(appender -> {
        root.detachAppender(appender);
        appender.stop();
      });
    }

    // THEN the text log has the failed sign-in on one line, with the line breaks and escapes shown, not acted on
    String textLog = text.toString(StandardCharsets.UTF_8);
    List<String> signIn = textLog.lines().filter(line -> line.contains("Sign-in failed")).toList();
    assertThat(signIn).hasSize(1);
    assertThat(signIn.get(0)).contains("user=\"eve\\n2026-11-07T10:00:00.000+00:00 INFO  LoginService - Signed in "
        + "user=\\\"admin\\\"\\r\\u001b[2J\\u001b[31mred\\u0007\\u009b\"");
    assertThat(textLog).doesNotContain("\u001b", "\u0007", "\u009b", "\r").doesNotContain("\n2026-11-07");
    assertThat(textLog.lines().filter(line -> line.contains("Signed in"))).hasSize(1);

    // AND every JSON line is valid JSON, and the failed sign-in carries the name exactly as it was sent
    List<JsonObject> entries = json.toString(StandardCharsets.UTF_8).lines().map(JsonObject::new).toList();
    assertThat(entries).filteredOn(entry -> "Sign-in failed".equals(entry.getString("msg")))
        .singleElement().satisfies(entry -> assertThat(entry.getString("user")).isEqualTo(FORGED));
  }

  private static OutputStreamAppender<ILoggingEvent> capture(LoggerContext context, Layout<ILoggingEvent> layout,
      ByteArrayOutputStream sink) {
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.setCharset(StandardCharsets.UTF_8);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(sink);
    appender.start();
    return appender;
  }
}
