package dev.outpost.appliance;

import dev.outpost.appliance.config.ConfigException;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import io.vertx.core.Future;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Shared life cycle of the server commands: load config, start, print the banner, run until signalled. */
final class ServerRunner {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int BAD_CONFIG = 2;

  /** Something that runs until stopped. */
  interface Running {
    Future<Void> stop();

    /** Completes when the server asks to be stopped itself (a drained node); never, by default. */
    default Future<Void> stopRequested() {
      return io.vertx.core.Promise.<Void>promise().future();
    }
  }

  private ServerRunner() {
  }

  static int run(String role, Map<String, String> flags, java.nio.file.Path configFile, PrintWriter err,
      Function<OutpostConfig, Future<? extends Running>> starter) {
    OutpostConfig config;
    try {
      config = ConfigLoader.create(flags, System.getenv(), configFile).load();
      validateFiles(config);
    } catch (ConfigException e) {
      err.println("outpost " + role + ": configuration error: " + e.getMessage());
      err.flush();
      return BAD_CONFIG;
    }
    LogSetup.configure(config.log().json(), config.log().level());
    Running running;
    try {
      running = starter.apply(config).toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof StartupException || cause instanceof ConfigException
          || cause instanceof dev.outpost.error.OutpostException) {
        err.println("outpost " + role + ": cannot start: " + cause.getMessage());
      } else {
        err.println("outpost " + role + ": cannot start: " + dev.outpost.error.Failures.rootMessage(cause));
        org.slf4j.LoggerFactory.getLogger(ServerRunner.class).error("Start-up failed", cause);
      }
      err.flush();
      return FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return FAILED;
    } catch (java.util.concurrent.TimeoutException e) {
      err.println("outpost " + role + ": start-up took longer than 5 minutes; giving up");
      return FAILED;
    }
    CountDownLatch stopRequested = new CountDownLatch(1);
    boolean signalsHandled = StopSignals.install(stopRequested::countDown);
    running.stopRequested().onComplete(ar -> stopRequested.countDown());
    Thread hook = new Thread(() -> stopQuietly(running), "outpost-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    // Without our own signal handler the latch never opens and the JVM stops us through the hook (exit 143).
    awaitForever(stopRequested);
    if (signalsHandled) {
      Runtime.getRuntime().removeShutdownHook(hook);
      stopQuietly(running);
    }
    return OK;
  }

  private static void stopQuietly(Running running) {
    try {
      running.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting anyway
    }
  }

  private static void awaitForever(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void validateFiles(OutpostConfig config) {
    if (config.adminPasswordFile() != null && !Files.isReadable(config.adminPasswordFile())) {
      throw new ConfigException("admin.password-file", "file " + config.adminPasswordFile()
          + " does not exist or is not readable; create it (one line, 12+ characters) or drop --admin-password-file");
    }
  }
}
