package dev.outpost.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Waits for a Vert.x future from a test thread: its result, or its failure as the {@link
 * java.util.concurrent.ExecutionException} cause. The deadline only bounds a test that went wrong; it is no timing
 * assertion.
 */
public final class Await {

  /** Longest a test waits for one future. */
  public static final Duration DEADLINE = Duration.ofMinutes(2);

  private Await() {
  }

  /** The future's result, waiting at most {@link #DEADLINE}. */
  public static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The future's result like {@link #await}, for code that declares no checked exceptions: a failure is rethrown
   * as it is when unchecked, else wrapped in an {@link IllegalStateException}.
   */
  public static <T> T join(Future<T> future) {
    try {
      return await(future);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException unchecked ? unchecked : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
