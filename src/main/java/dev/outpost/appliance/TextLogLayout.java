package dev.outpost.appliance;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.Context;
import java.util.Arrays;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The text log format: one line per event, whatever the event carries. Messages, key/value pairs and exception
 * messages often hold what a client sent (a user name, a path, a header), so a line break or a terminal escape in
 * them could forge a log line or rewrite the operator's terminal. Every such character is escaped here, in one
 * place, instead of at each call site: line feed, carriage return and tab as {@code \n}, {@code \r}, {@code \t}, any
 * other control character (C0, DEL, C1) and the Unicode line separators as {@code \}{@code uXXXX}. Values of
 * key/value pairs are quoted, with {@code "} and {@code \} escaped, so that a value cannot pose as another pair.
 * Stack frames keep their own lines.
 */
public final class TextLogLayout {

  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{1} - %msg %kvp%n%ex";

  private TextLogLayout() {
  }

  /** A started layout with {@link #PATTERN} whose message, key/value and exception parts are escaped. */
  public static PatternLayout create(Context context) {
    PatternLayout layout = new PatternLayout();
    layout.setContext(context);
    layout.getInstanceConverterMap().put("msg", EscapedMessage::new);
    layout.getInstanceConverterMap().put("m", EscapedMessage::new);
    layout.getInstanceConverterMap().put("message", EscapedMessage::new);
    layout.getInstanceConverterMap().put("kvp", EscapedKeyValues::new);
    layout.getInstanceConverterMap().put("ex", EscapedThrowable::new);
    layout.getInstanceConverterMap().put("exception", EscapedThrowable::new);
    layout.getInstanceConverterMap().put("throwable", EscapedThrowable::new);
    layout.setPattern(PATTERN);
    layout.start();
    return layout;
  }

  /** {@code text} with control characters and line separators escaped; {@code text} itself when it has none. */
  public static String escape(String text) {
    return escape(text, false);
  }

  private static String escape(String text, boolean quoted) {
    if (text == null) {
      return null;
    }
    int first = 0;
    while (first < text.length() && !needsEscape(text.charAt(first), quoted)) {
      first++;
    }
    if (first == text.length()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"', '\\' -> out.append(quoted ? "\\" : "").append(c);
        default -> {
          if (needsEscape(c, false)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static boolean needsEscape(char c, boolean quoted) {
    return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || quoted && (c == '"' || c == '\\');
  }

  /** {@code %msg}, escaped. */
  public static final class EscapedMessage extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return escape(super.convert(event));
    }
  }

  /** {@code %kvp}: {@code key="value"} pairs separated by spaces, keys and values escaped. */
  public static final class EscapedKeyValues extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      List<KeyValuePair> pairs = event.getKeyValuePairs();
      if (pairs == null || pairs.isEmpty()) {
        return "";
      }
      StringBuilder out = new StringBuilder();
      for (KeyValuePair pair : pairs) {
        if (out.length() > 0) {
          out.append(' ');
        }
        out.append(escape(pair.key)).append("=\"").append(escape(String.valueOf(pair.value), true)).append('"');
      }
      return out.toString();
    }
  }

  /** {@code %ex}: the stack trace on its lines, each exception's message escaped. */
  public static final class EscapedThrowable extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy proxy) {
      return super.throwableProxyToString(new EscapedProxy(proxy));
    }
  }

  /** A throwable whose message (and its causes' messages) read escaped. */
  private record EscapedProxy(IThrowableProxy delegate) implements IThrowableProxy {
    @Override
    public String getMessage() {
      return escape(delegate.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return escape(delegate.getOverridingMessage());
    }

    @Override
    public String getClassName() {
      return delegate.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return delegate.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return delegate.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return delegate.getCause() == null ? null : new EscapedProxy(delegate.getCause());
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = delegate.getSuppressed();
      return suppressed == null ? null : Arrays.stream(suppressed).map(EscapedProxy::new)
          .toArray(IThrowableProxy[]::new);
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }
}
