package dev.outpost.lifecycle;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The modules of a node in start order: {@link #start} starts each once the one before it has started, {@link
 * #stop} stops those that started in reverse order, each stop failure ignored so that the rest still stop.
 */
public final class Modules {

  private final List<Lifecycle> started = new ArrayList<>();

  /** Starts {@code module} after the ones started before it; it stops with them. */
  public Future<Void> start(Lifecycle module) {
    return module.start().onSuccess(v -> started.add(module));
  }

  /** Stops every started module, last started first; never fails. */
  public Future<Void> stop() {
    List<Lifecycle> reverse = new ArrayList<>(started);
    Collections.reverse(reverse);
    started.clear();
    Future<Void> chain = Future.succeededFuture();
    for (Lifecycle module : reverse) {
      chain = chain.compose(v -> module.stop().recover(e -> Future.succeededFuture()));
    }
    return chain;
  }
}
