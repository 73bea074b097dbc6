package dev.outpost.identity;

import dev.outpost.crypto.SecureTokens;
import io.vertx.core.Future;

/**
 * API tokens (personal access tokens and those of service accounts): bearer secrets for the admin API, stored only as
 * hashes. A token acts with its owner's roles as they are at each request, cut to its {@link TokenScope}; it never
 * opens a session, so no second factor is asked for it and it never signs in to the store or the console.
 */
public interface ApiTokens {

  /** How every API token begins; no sign-in session token does (their alphabet has no dot). */
  String PREFIX = "opat.";

  /** A new token, to show once. */
  static String newToken() {
    return PREFIX + SecureTokens.random(32);
  }

  /** Whether a presented bearer secret is an API token (as opposed to a session's). */
  static boolean isToken(String bearer) {
    return bearer.startsWith(PREFIX);
  }

  /**
   * The principal a presented token stands for, or {@code null} when no such token exists; fails with 401 when it
   * expired, was revoked, or its owner can no longer act.
   */
  Future<Principal> authenticate(String token);

  /** No API tokens (a role that serves no admin API). */
  ApiTokens NONE = token -> Future.succeededFuture(null);
}
