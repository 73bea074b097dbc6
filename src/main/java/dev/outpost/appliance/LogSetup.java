package dev.outpost.appliance;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import org.slf4j.LoggerFactory;

/** Configures logging once at start-up: text or JSON lines on stderr, one line per event. */
public final class LogSetup {

  private LogSetup() {
  }

  public static void configure(boolean json, String level) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("console");
    appender.setTarget("System.err");
    // text lines escape what could forge a line (TextLogLayout); JSON lines are JSON-encoded, which does the same
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setLayout(json ? jsonLayout(context) : TextLogLayout.create(context));
    encoder.setContext(context);
    encoder.start();
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
    root.addAppender(appender);
    // Third-party chatter: keep warnings, drop the rest unless debugging.
    Level quiet = Level.toLevel(level, Level.INFO).isGreaterOrEqual(Level.INFO) ? Level.WARN : Level.toLevel(level);
    for (String noisy : new String[] {"com.hazelcast", "io.zonky", "io.netty", "io.vertx.core.impl"}) {
      context.getLogger(noisy).setLevel(quiet);
    }
    // Known, understood warnings: Outpost does not use the CP subsystem, and Vert.x registers shared gauges twice.
    context.getLogger("com.hazelcast.cp.CPSubsystem").setLevel(Level.ERROR);
    context.getLogger("io.micrometer.core.instrument.MeterRegistry").setLevel(Level.ERROR);
    // A cluster connection that fails Outpost's member handshake is logged once, in one line, by Outpost.
    context.getLogger("com.hazelcast.internal.server.tcp.TcpServerAcceptor").setLevel(Level.ERROR);
    // A pooled HTTP connection whose peer went away (a hub that restarts) is evicted and dialled again; the hub link
    // logs its own state, so Vert.x's "Connection evicted" warning says nothing an operator can act on.
    context.getLogger("io.vertx.core.http.impl.HttpClientConnectionInternal").setLevel(Level.ERROR);
  }

  private static JsonLogLayout jsonLayout(LoggerContext context) {
    JsonLogLayout layout = new JsonLogLayout();
    layout.setContext(context);
    layout.start();
    return layout;
  }
}
