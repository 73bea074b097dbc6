package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import java.util.function.Function;
import java.util.function.Supplier;

/** Turns PostgreSQL constraint violations into client errors with a detail a person can act on. */
public final class SqlConflicts {

  static final String UNIQUE_VIOLATION = "23505";
  static final String FOREIGN_KEY_VIOLATION = "23503";
  static final String CHECK_VIOLATION = "23514";
  static final String NOT_NULL_VIOLATION = "23502";

  private SqlConflicts() {
  }

  /** Maps a unique violation to 409 with the given detail; other failures pass through. */
  public static <T> Function<Throwable, Future<T>> onUnique(Supplier<String> detail) {
    return e -> Future.failedFuture(isState(e, UNIQUE_VIOLATION) ? ClientErrorException.conflict(detail.get()) : e);
  }

  /**
   * Last resort for a violation no store anticipated (e.g. a race with a concurrent delete): 409 for
   * uniqueness and references, 400 for checks; never a 500 for what the caller sent.
   */
  public static <T> Future<T> generic(Throwable e) {
    if (!(e instanceof PgException pg) || pg.getSqlState() == null) {
      return Future.failedFuture(e);
    }
    String constraint = pg.getConstraint() == null ? "" : " (" + pg.getConstraint() + ")";
    return switch (pg.getSqlState()) {
      case UNIQUE_VIOLATION -> Future.failedFuture(ClientErrorException.conflict(
          "the change conflicts with an existing entry" + constraint));
      case FOREIGN_KEY_VIOLATION -> Future.failedFuture(ClientErrorException.conflict(
          "the change refers to an entry that no longer exists, or removes one still in use" + constraint));
      case CHECK_VIOLATION, NOT_NULL_VIOLATION -> Future.failedFuture(ClientErrorException.validation(
          "the change breaks a rule of the site model" + constraint));
      default -> Future.failedFuture(e);
    };
  }

  static boolean isState(Throwable e, String state) {
    return e instanceof PgException pg && state.equals(pg.getSqlState());
  }
}
