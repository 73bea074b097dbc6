package dev.outpost.admin.impl;

import dev.outpost.crypto.SecureTokens;
import dev.outpost.admin.Actor;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.ApiTokens;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.Principal;
import dev.outpost.identity.Role;
import dev.outpost.identity.TokenScope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code /api-tokens}: personal access tokens and tokens of service accounts, for the admin API and {@code outpost
 * admin --token}. Admins and session admins make, list and revoke their own; admins also those of service accounts
 * (accounts without a password) and revoke anyone's. A token is shown once, stored as a hash, and never manages
 * tokens itself: that needs a signed-in person. Making and revoking are audited.
 */
public final class ApiTokenRoutes {

  /** Longest a token may be valid. */
  static final int MAX_DAYS = 366;
  static final int DEFAULT_DAYS = 30;
  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("name", 1, 64).matching("[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}").required(),
      FieldSpec.text("scope", 1, 32).oneOf(Arrays.stream(TokenScope.values()).map(TokenScope::wireName)
          .toArray(String[]::new)).required(),
      FieldSpec.integer("expiresInDays", 1, MAX_DAYS).withDefault(DEFAULT_DAYS),
      FieldSpec.text("owner", 1, 64).matching(UserStore.USERNAME_PATTERN));
  private static final String SELECT = "SELECT id, name, owner_id, owner_name, scope, created_by, created_at, "
      + "expires_at, last_used_at, revoked_at, revoked_by FROM api_tokens";

  private final Database db;
  private final AuditLog audit;
  private final AccountDirectory accounts;
  private final Function<RoutingContext, Actor> actors;
  private final Clock clock;

  /** @param accounts where token owners are found (those sign-in uses) */
  public ApiTokenRoutes(Database db, AuditLog audit, AccountDirectory accounts, Function<RoutingContext, Actor> actors,
      Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.accounts = Objects.requireNonNull(accounts);
    this.actors = Objects.requireNonNull(actors);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Mounts behind a check that the caller is an admin or a session admin. */
  public void mount(Router api) {
    api.get("/api-tokens").handler(this::list);
    api.post("/api-tokens").handler(this::create);
    api.delete("/api-tokens/:id").handler(this::revoke);
  }

  private void list(RoutingContext ctx) {
    Principal caller = person(ctx);
    boolean all = caller.has(Role.ADMIN);
    db.pool().preparedQuery(SELECT + (all ? "" : " WHERE owner_id = $1") + " ORDER BY created_at DESC")
        .execute(all ? Tuple.tuple() : Tuple.of(UUID.fromString(caller.userId())))
        .onSuccess(rows -> Responses.json(ctx, 200, new JsonObject().put("items", Rows.all(rows, this::toJson))))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal caller = person(ctx);
    JsonObject fields = SCHEMA.forCreate(JsonBodies.object(ctx));
    TokenScope scope = TokenScope.parse(fields.getString("scope")).orElseThrow();
    String ownerName = fields.getString("owner", caller.username());
    Actor actor = actors.apply(ctx);
    owner(caller, ownerName, scope)
        .compose(owner -> {
          String token = ApiTokens.newToken();
          UUID id = UUID.randomUUID();
          Instant expires = clock.instant().plus(Duration.ofDays(fields.getInteger("expiresInDays")));
          JsonObject detail = new JsonObject().put("owner", owner.username()).put("scope", scope.wireName())
              .put("expiresAt", expires.toString());
          return db.transaction(conn -> conn.preparedQuery("INSERT INTO api_tokens(id, name, owner_id, owner_name, "
                  + "scope, token_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
              .execute(Tuple.of(id, fields.getString("name"), UUID.fromString(owner.id()), owner.username(),
                  scope.wireName(), SecureTokens.hash(token)).addString(actor.username())
                  .addOffsetDateTime(expires.atOffset(ZoneOffset.UTC)))
              .compose(v -> audit.record(conn, actor, "api-token.create", "api-token", id.toString(),
                  fields.getString("name"), detail))
              .compose(v -> conn.preparedQuery(SELECT + " WHERE id = $1").execute(Tuple.of(id))))
              .map(rows -> toJson(rows.iterator().next()).put("token", token));
        })
        .onSuccess(created -> {
          ctx.response().putHeader("Location", ctx.request().path() + "/" + created.getString("id"));
          Responses.json(ctx, 201, created);
        })
        .onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx) {
    Principal caller = person(ctx);
    UUID id = IdOrName.asId(ctx.pathParam("id"));
    if (id == null) {
      ctx.fail(ClientErrorException.notFound(
          "no such API token; use its id as listed by GET /admin/api/v1/api-tokens"));
      return;
    }
    Actor actor = actors.apply(ctx);
    db.transaction(conn -> conn.preparedQuery(SELECT + " WHERE id = $1 FOR UPDATE").execute(Tuple.of(id))
            .compose(rows -> {
              if (rows.size() == 0 || !caller.has(Role.ADMIN)
                  && !rows.iterator().next().getUUID("owner_id").toString().equals(caller.userId())) {
                return Future.failedFuture(ClientErrorException.notFound("no such API token of yours; use its id as "
                    + "listed by GET /admin/api/v1/api-tokens"));
              }
              Row row = rows.iterator().next();
              if (row.getOffsetDateTime("revoked_at") != null) {
                return Future.succeededFuture();
              }
              return conn.preparedQuery("UPDATE api_tokens SET revoked_at = now(), revoked_by = $2 WHERE id = $1")
                  .execute(Tuple.of(id, actor.username()))
                  .compose(v -> audit.record(conn, actor, "api-token.revoke", "api-token", id.toString(),
                      row.getString("name"), new JsonObject().put("owner", row.getString("owner_name"))
                          .put("scope", row.getString("scope"))));
            }))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * The account a new token acts for: the caller, or (for an admin) a service account; it must hold a role the scope
   * needs.
   */
  private Future<AccountDirectory.Account> owner(Principal caller, String ownerName, TokenScope scope) {
    return accounts.find(ownerName).compose(owner -> {
      if (owner == null || owner.disabled()) {
        return Future.failedFuture(ClientErrorException.validation("field 'owner': no enabled account named '"
            + ownerName + "'"));
      }
      boolean self = owner.id().equals(caller.userId());
      if (!self && !caller.has(Role.ADMIN)) {
        return Future.failedFuture(ClientErrorException.forbidden("only admins make tokens for other accounts"));
      }
      if (!self && owner.passwordHash() != null) {
        return Future.failedFuture(ClientErrorException.validation("field 'owner': " + owner.username() + " is a "
            + "person (it has a password); people make their own tokens. Tokens for automation belong to a service "
            + "account: POST /admin/api/v1/users {\"username\":..., \"serviceAccount\":true, \"roles\":[...]}"));
      }
      if (!scope.grantableBy(owner.roles())) {
        return Future.failedFuture(ClientErrorException.validation("field 'scope': " + owner.username()
            + (scope == TokenScope.ADMIN ? " is no admin, so its tokens may be session-admin or read-only"
                : " has neither the admin nor the session-admin role, which a " + scope.wireName()
                    + " token acts with")));
      }
      return Future.succeededFuture(owner);
    });
  }

  /** The signed-in person: a token may not manage tokens (one leaked token must not mint others). */
  private static Principal person(RoutingContext ctx) {
    Principal caller = AuthHandler.principal(ctx);
    if (caller.token() != null) {
      throw new ClientErrorException(403, "api-token-not-accepted", "API tokens cannot make, list or revoke API "
          + "tokens; sign in as a person (the console, or 'outpost admin login')");
    }
    return caller;
  }

  private JsonObject toJson(Row row) {
    Instant expires = row.getOffsetDateTime("expires_at").toInstant();
    String state = row.getOffsetDateTime("revoked_at") != null ? "revoked"
        : expires.isAfter(clock.instant()) ? "active" : "expired";
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("name", row.getString("name"))
        .put("owner", row.getString("owner_name"))
        .put("ownerId", Rows.id(row, "owner_id"))
        .put("scope", row.getString("scope"))
        .put("state", state)
        .put("createdBy", row.getString("created_by"))
        .put("createdAt", Rows.time(row, "created_at"))
        .put("expiresAt", expires.toString())
        .put("lastUsedAt", Rows.time(row, "last_used_at"))
        .put("revokedAt", Rows.time(row, "revoked_at"))
        .put("revokedBy", row.getString("revoked_by"));
  }

  /** Every token of an account ends with it (all-in-one, where accounts are deleted on this database). */
  static Future<Void> deleteOwnedBy(io.vertx.sqlclient.SqlConnection conn, String userId) {
    return conn.preparedQuery("DELETE FROM api_tokens WHERE owner_id = $1").execute(Tuple.of(UUID.fromString(userId)))
        .mapEmpty();
  }
}
