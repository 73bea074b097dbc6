package dev.outpost.identity.directory;

import io.vertx.core.Future;

/** Sign-in against the resource location's directories, after local accounts. */
public interface DirectorySignIn {

  /**
   * @param account the signed-in user, or {@code null} when refused
   * @param consulted whether any directory was asked (false when none is configured)
   */
  record Result(DirectoryAccount account, boolean consulted) {
    public static final Result NOT_CONSULTED = new Result(null, false);
    public static final Result REFUSED = new Result(null, true);
  }

  /** Never fails for a wrong password or an unreachable directory: those are results. */
  Future<Result> authenticate(String username, String password);

  /** No directories: every sign-in is local. */
  static DirectorySignIn none() {
    return (username, password) -> Future.succeededFuture(Result.NOT_CONSULTED);
  }
}
