package dev.outpost.broker;

import dev.outpost.relay.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A user's own session history as the store reads it: asked of the hub role, which keeps it in its database
 * ({@code sessions.history}, in process on an all-in-one appliance, over the tunnel with a separate hub).
 */
public final class UserSessionHistory {

  private final Requests hub;

  /** @param hub where the hub role's operations go */
  public UserSessionHistory(Requests hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  /**
   * The user's ended sessions, newest ended first: {@code {items, nextCursor?}}.
   *
   * @param cursor the previous page's {@code nextCursor}, or {@code null} for the first page
   */
  public Future<JsonObject> page(String userId, String cursor, int limit) {
    return hub.request(BrokerOperations.SESSIONS_HISTORY, new JsonObject().put("userId", userId)
        .put("cursor", cursor).put("limit", limit));
  }
}
