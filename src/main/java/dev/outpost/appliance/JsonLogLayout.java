package dev.outpost.appliance;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.slf4j.event.KeyValuePair;

/** One JSON object per log line: time, level, logger, message, key/value pairs and any error. */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {

  @Override
  public String doLayout(ILoggingEvent event) {
    JsonObject line = new JsonObject()
        .put("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString())
        .put("level", event.getLevel().toString())
        .put("logger", event.getLoggerName())
        .put("thread", event.getThreadName())
        .put("msg", event.getFormattedMessage());
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair pair : event.getKeyValuePairs()) {
        line.put(pair.key, pair.value == null ? null : pair.value instanceof Number || pair.value instanceof Boolean
            ? pair.value : String.valueOf(pair.value));
      }
    }
    event.getMDCPropertyMap().forEach(line::put);
    IThrowableProxy error = event.getThrowableProxy();
    if (error != null) {
      line.put("error", error.getClassName() + ": " + error.getMessage());
      line.put("stack", ThrowableProxyUtil.asString(error));
    }
    return line.encode() + "\n";
  }
}
