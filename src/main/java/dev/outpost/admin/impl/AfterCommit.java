package dev.outpost.admin.impl;

import dev.outpost.error.Failures;
import dev.outpost.error.ServerErrorException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Work a change must do once its transaction committed and before the admin gets the answer, such as telling every
 * node that an account lost access: done before the commit, a sign-in in between would still read the old account
 * and keep a session or lease that the change meant to end. One per request; not thread-safe.
 */
public final class AfterCommit {

  private final List<Supplier<Future<Void>>> steps = new ArrayList<>();

  /** Adds a step; steps run in the order they were added, each after the previous one completed. */
  public void add(Supplier<Future<Void>> step) {
    steps.add(step);
  }

  /**
   * Runs the steps. The first failure stops them and fails the result with a 503 that says the change itself was
   * saved, so that the admin knows to repeat the part that did not happen rather than the change.
   */
  public Future<Void> run() {
    Future<Void> chain = Future.succeededFuture();
    for (Supplier<Future<Void>> step : steps) {
      chain = chain.compose(v -> step.get());
    }
    return chain.recover(e -> Future.failedFuture(ServerErrorException.unavailable("the change was saved, but "
        + "making it effective everywhere failed: " + Failures.rootMessage(e), e)));
  }
}
