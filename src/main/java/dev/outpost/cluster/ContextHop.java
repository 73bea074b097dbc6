package dev.outpost.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Runs work on the context that owns some state (a broker, a tunnel) from any thread, and completes the result on
 * the caller's context, so that neither side's single-threaded state is touched from the other.
 */
public final class ContextHop {

  private ContextHop() {
  }

  /** {@code work} runs on {@code owner}; a thrown exception fails the result like a failed future. */
  public static <T> Future<T> to(Vertx vertx, Context owner, Supplier<Future<T>> work) {
    Context caller = vertx.getOrCreateContext();
    CompletableFuture<T> result = new CompletableFuture<>();
    owner.runOnContext(v -> {
      Future<T> future;
      try {
        future = work.get();
      } catch (RuntimeException e) {
        future = Future.failedFuture(e);
      }
      future.onSuccess(result::complete).onFailure(result::completeExceptionally);
    });
    return Future.fromCompletionStage(result, caller);
  }
}
