package dev.outpost.lease;

import dev.outpost.lease.impl.RevocationOutbox;
import dev.outpost.admin.AdminExtension;
import dev.outpost.db.Database;
import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AuthHandler;
import dev.outpost.lease.impl.DeferredRevocations;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.lease.impl.RevocationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The admin API's leases: {@code /leases/revocations} (list; revoke by user, device key thumbprint or lease id,
 * with an audit row in the same transaction) and, where the site's signing keys live, {@code /leases/keys} (list;
 * rotate). A revocation made on an appliance takes effect on every node of its cluster at once, also while the hub
 * or the database cannot be reached, and is handed to a separate hub when it answers.
 */
public final class LeaseAdminRoutes implements AdminExtension {

  private static final Set<String> FIELDS = Set.of("user", "device", "lease", "reason");
  private static final String TYPE = "lease-revocation";

  /** Where a new revocation goes besides the database: the cluster of an appliance (nothing on a hub). */
  public interface Publisher {
    Future<Void> publish(Revocation revocation);

    Publisher NONE = revocation -> Future.succeededFuture();
  }

  private final Database db;
  private final AccountDirectory accounts;
  private final LeaseAuthority authority;
  private final Publisher publisher;
  private final Supplier<Collection<Revocation>> known;
  private final RevocationOutbox outbox;
  private final Clock clock;
  private final RevocationStore store = new RevocationStore();
  private final DeferredRevocations deferred;

  /**
   * @param accounts to find a user named in a revocation
   * @param authority the site's lease authority when it runs here (hub or all-in-one), else {@code null}
   * @param known revocations this node knows besides its database's (an appliance's trust cache)
   * @param outbox where revocations made here wait for the site's lease authority
   * @param deferred where revocations made while the database cannot be reached wait for it
   */
  public LeaseAdminRoutes(Database db, AccountDirectory accounts, LeaseAuthority authority, Publisher publisher,
      Supplier<Collection<Revocation>> known, RevocationOutbox outbox, Clock clock, DeferredRevocations deferred) {
    this.db = Objects.requireNonNull(db);
    this.accounts = Objects.requireNonNull(accounts);
    this.authority = authority;
    this.publisher = Objects.requireNonNull(publisher);
    this.known = Objects.requireNonNull(known);
    this.outbox = java.util.Objects.requireNonNull(outbox);
    this.clock = Objects.requireNonNull(clock);
    this.deferred = Objects.requireNonNull(deferred);
  }

  @Override
  public void mount(Router api, Auditor auditor) {
    deferred.start(); // once, however many front-door instances mount the API
    api.get("/leases/revocations").handler(this::list);
    api.post("/leases/revocations").handler(ctx -> revoke(ctx, auditor));
    if (authority != null) {
      api.get("/leases/keys").handler(this::keys);
      api.post("/leases/keys").handler(ctx -> rotate(ctx, auditor));
    }
  }

  private void list(RoutingContext ctx) {
    store.relevant(db.pool(), clock.instant())
        // while the database cannot be reached, the revocations this node knows are the list
        .recover(e -> DatabaseUnavailableException.of(e).isPresent() ? Future.succeededFuture(List.<Revocation>of())
            : Future.failedFuture(e))
        .map(stored -> {
          Map<String, Revocation> all = new LinkedHashMap<>();
          stored.forEach(r -> all.put(r.id(), r));
          known.get().forEach(r -> all.putIfAbsent(r.id(), r));
          List<Revocation> sorted = new ArrayList<>(all.values());
          sorted.sort(Comparator.comparing(Revocation::revokedAt).reversed());
          return new JsonArray(sorted.stream().map(Revocation::toJson).toList());
        })
        .onSuccess(items -> AdminExtension.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private void revoke(RoutingContext ctx, Auditor auditor) {
    JsonObject body = JsonBodies.object(ctx);
    body.fieldNames().stream().filter(f -> !FIELDS.contains(f)).findFirst().ifPresent(f -> {
      throw ClientErrorException.validation("unknown field '" + f + "'; allowed: user, device, lease, reason");
    });
    List<String> named = List.of("user", "device", "lease").stream().filter(f -> body.getValue(f) != null).toList();
    if (named.size() != 1) {
      throw ClientErrorException.validation("name exactly one of 'user' (name or id), 'device' (key thumbprint) "
          + "or 'lease' (lease id)");
    }
    String field = named.get(0);
    String value = JsonBodies.singleLine(field, text(body, field, 256));
    String reason = body.getValue("reason") == null ? "" : text(body, "reason", 512);
    String by = AuthHandler.principal(ctx).username();
    Future<String> subject = switch (field) {
      case "user" -> userId(value);
      case "lease" -> Future.succeededFuture(asUuid(value, "lease"));
      default -> Future.succeededFuture(value);
    };
    subject.map(id -> Revocation.of(Revocation.Kind.parse(field), id, null, clock.instant(), reason, by))
        .compose(revocation -> db.transaction(conn -> store.insert(conn, revocation, outbox.storedAsForwarded())
                .compose(v -> auditor.record(ctx, conn, TYPE + ".create", TYPE, revocation.id(), value,
                    revocation.toJson())))
            .recover(e -> DatabaseUnavailableException.of(e).isPresent() ? defer(ctx, auditor, revocation, value)
                : Future.failedFuture(e))
            .compose(v -> publisher.publish(revocation))
            .map(revocation))
        .onSuccess(revocation -> {
          ctx.response().putHeader("Location", ctx.request().path() + "/" + revocation.id());
          AdminExtension.json(ctx, 201, revocation.toJson());
        })
        .onFailure(ctx::fail);
  }

  /**
   * A revocation must not wait for the database (a lost device is revoked now): it is published as usual and its
   * row and audit entry wait on disk until the database answers.
   */
  private Future<Void> defer(RoutingContext ctx, Auditor auditor, Revocation revocation, String value) {
    return deferred.defer(revocation, outbox.storedAsForwarded())
        .compose(v -> auditor.recordApart(ctx, TYPE + ".create", TYPE, revocation.id(), value, revocation.toJson()));
  }

  /** A user named by id (any UUID, so directory users too) or by the name of an account. */
  private Future<String> userId(String value) {
    if (isUuid(value)) {
      return Future.succeededFuture(value);
    }
    return accounts.find(value).compose(account -> account != null ? Future.succeededFuture(account.id())
        : Future.failedFuture(ClientErrorException.notFound("no account named '" + value + "'; name a directory "
            + "user by their user id")));
  }

  private void keys(RoutingContext ctx) {
    authority.keys()
        .onSuccess(keys -> AdminExtension.json(ctx, 200, new JsonObject().put("items",
            new JsonArray(keys.stream().map(LeaseAuthority.KeyView::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void rotate(RoutingContext ctx, Auditor auditor) {
    db.transaction(conn -> authority.rotate(conn)
            .compose(kid -> auditor.record(ctx, conn, "lease-key.rotate", "lease-key", kid, kid, new JsonObject())
                .map(kid)))
        .compose(kid -> authority.reload().map(kid))
        .onSuccess(kid -> AdminExtension.json(ctx, 201, new JsonObject().put("kid", kid).put("state", "active")))
        .onFailure(ctx::fail);
  }

  private static String text(JsonObject body, String field, int max) {
    if (!(body.getValue(field) instanceof String text) || text.isBlank() || text.length() > max
        || text.indexOf('\0') >= 0) {
      throw ClientErrorException.validation("field '" + field + "' must be a non-empty string of at most " + max
          + " characters without NUL bytes");
    }
    return text.trim();
  }

  private static boolean isUuid(String value) {
    try {
      return UUID.fromString(value).toString().equalsIgnoreCase(value);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String asUuid(String value, String field) {
    if (!isUuid(value)) {
      throw ClientErrorException.validation("field '" + field + "' must be a lease id (a UUID)");
    }
    return value.toLowerCase(java.util.Locale.ROOT);
  }
}
