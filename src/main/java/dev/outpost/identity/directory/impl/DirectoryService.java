package dev.outpost.identity.directory.impl;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.identity.directory.DirectoryAccount;
import dev.outpost.identity.directory.DirectoryConfig;
import dev.outpost.identity.directory.DirectoryProbe;
import dev.outpost.identity.directory.DirectorySettings;
import dev.outpost.identity.directory.DirectorySignIn;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directory sign-in on an appliance: asks the location's directories in priority order, on a small worker
 * pool of its own so that a slow directory never holds an event loop or the shared workers. After a good
 * sign-in it keeps a salted argon2id verifier of the password; while a directory cannot be reached, users who
 * signed in within the offline window are checked against that verifier instead ("offline sign-in").
 */
public final class DirectoryService implements DirectorySignIn, DirectoryProbe {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryService.class);
  private static final int WORKERS = 8;

  /** What one directory said about a sign-in. */
  private enum Answer { SIGNED_IN, NOT_FOUND, REFUSED, UNREACHABLE }

  /**
   * @param account set when signed in
   * @param detail why the directory could not be used
   */
  private record Outcome(Answer answer, DirectoryAccount account, String detail) {
    static Outcome of(Answer answer) {
      return new Outcome(answer, null, null);
    }
  }

  private record Known(List<LdapDirectory> directories, Instant fetchedAt) {
  }

  private final Vertx vertx;
  private final Supplier<Future<List<DirectorySettings>>> source;
  private final OfflineCredentials offline;
  private final PasswordHasher hasher;
  private final DirectoryConfig config;
  private final Clock clock;
  private final GroupCache groupCache;
  private final WorkerExecutor workers;
  private volatile Known known;
  private long refreshTimer = -1;

  /**
   * @param source the directories of this appliance's location (from the hub's site model)
   */
  public DirectoryService(Vertx vertx, Supplier<Future<List<DirectorySettings>>> source, Database db,
      PasswordHasher hasher, DirectoryConfig config, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.source = Objects.requireNonNull(source);
    this.offline = new OfflineCredentials(Objects.requireNonNull(db));
    this.hasher = Objects.requireNonNull(hasher);
    this.config = Objects.requireNonNull(config);
    this.clock = Objects.requireNonNull(clock);
    this.groupCache = new GroupCache(config.groupCacheTtl(), clock);
    this.workers = vertx.createSharedWorkerExecutor("outpost-directory", WORKERS);
  }

  /**
   * Reads the settings now and then every {@code directory.settings-refresh}, so that verifiers of removed
   * directories go, and so that the hub knows this appliance can run directory tests for its location.
   */
  public void start() {
    refreshTimer = vertx.setPeriodic(1, config.settingsRefresh().toMillis(), id -> reload(known)
        .onFailure(e -> LOG.debug("Directory settings not refreshed: {}", e.getMessage())));
  }

  /** Drops the cached settings and groups: the next sign-in reads the directories' settings again. */
  public void invalidate() {
    known = null;
    groupCache.clear();
  }

  public Future<Void> close() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    return workers.close();
  }

  // ---- sign-in ---------------------------------------------------------------------------------------

  @Override
  public Future<Result> authenticate(String login, String password) {
    if (password == null || password.isEmpty() || login == null || login.isEmpty()) {
      return Future.succeededFuture(Result.REFUSED); // never sent: an empty simple bind is an anonymous bind
    }
    return directories().transform(ar -> {
      if (ar.failed()) {
        LOG.warn("Directory settings are not known yet ({}): trying offline sign-in only", ar.cause().getMessage());
        return offline(List.of(), login, password).map(result -> result == null ? Result.REFUSED : result);
      }
      List<LdapDirectory> enabled = ar.result().stream().filter(d -> d.settings().enabled()).toList();
      return enabled.isEmpty() ? Future.succeededFuture(Result.NOT_CONSULTED) : attempt(enabled, 0, login, password);
    });
  }

  private Future<Result> attempt(List<LdapDirectory> directories, int index, String login, String password) {
    if (index == directories.size()) {
      return Future.succeededFuture(Result.REFUSED);
    }
    LdapDirectory directory = directories.get(index);
    DirectorySettings settings = directory.settings();
    return blocking(() -> signIn(directory, login, password)).compose(outcome -> switch (outcome.answer()) {
      case SIGNED_IN -> remember(settings, login, password, outcome.account())
          .map(v -> new Result(outcome.account(), true));
      case NOT_FOUND -> offline.forget(settings.id(), login)
          .recover(e -> Future.succeededFuture())
          .compose(v -> attempt(directories, index + 1, login, password));
      case REFUSED -> Future.succeededFuture(Result.REFUSED);
      case UNREACHABLE -> {
        LOG.atWarn().addKeyValue("directory", settings.name()).addKeyValue("user", login)
            .log("Directory unreachable, trying offline sign-in: {}", outcome.detail());
        yield offline(List.of(settings.id()), login, password)
            .compose(result -> result != null ? Future.succeededFuture(result)
                : attempt(directories, index + 1, login, password));
      }
    });
  }

  /** The blocking conversation with one directory. */
  private Outcome signIn(LdapDirectory directory, String login, String password) {
    DirectorySettings settings = directory.settings();
    try (LDAPConnection connection = directory.connect()) {
      LdapDirectory.UserEntry user = directory.findUser(connection, login);
      if (user == null) {
        return Outcome.of(Answer.NOT_FOUND);
      }
      if (!directory.passwordMatches(connection, user.dn(), password)) {
        return Outcome.of(Answer.REFUSED);
      }
      Set<String> groups = groupCache.get(settings.id(), user.dn()).orElse(null);
      if (groups == null) {
        groups = directory.groups(connection, user);
        groupCache.put(settings.id(), user.dn(), groups);
      }
      return new Outcome(Answer.SIGNED_IN, new DirectoryAccount(user.id(), user.username(), user.displayName(),
          settings.id(), user.dn(), groups, false), null);
    } catch (LdapDirectory.UnreachableException e) {
      return new Outcome(Answer.UNREACHABLE, null, e.getMessage());
    } catch (LDAPException e) {
      return new Outcome(Answer.UNREACHABLE, null, LdapDirectory.describe(e));
    }
  }

  /** Keeps the verifier of this good password; a failure here costs offline sign-in only, not this one. */
  private Future<Void> remember(DirectorySettings settings, String login, String password, DirectoryAccount account) {
    if (config.offlineWindow().isZero()) {
      return Future.succeededFuture(); // offline sign-in is off: keep nothing
    }
    Instant now = clock.instant();
    return blocking(() -> hasher.hash(password))
        .compose(verifier -> offline.remember(settings.id(), login, account, verifier, now))
        .recover(e -> {
          LOG.warn("Cannot keep the offline verifier of {}: {}", account.username(), e.getMessage());
          return Future.succeededFuture();
        });
  }

  /**
   * Offline sign-in: the newest verifier within the window decides. {@code null} when there is none (the
   * user never signed in here, or too long ago).
   */
  private Future<Result> offline(List<String> directoryIds, String login, String password) {
    Instant since = clock.instant().minus(config.offlineWindow());
    return offline.find(directoryIds, login, since)
        .recover(e -> {
          LOG.warn("Cannot read offline verifiers: {}", e.getMessage());
          return Future.succeededFuture(List.of());
        })
        .compose(found -> found.isEmpty() ? Future.succeededFuture(null)
            : blocking(() -> hasher.verify(password, found.get(0).verifier())).map(ok -> {
              OfflineCredentials.Verifier verifier = found.get(0);
              if (!ok) {
                return Result.REFUSED;
              }
              LOG.atWarn().addKeyValue("user", verifier.account().username())
                  .addKeyValue("verifiedAt", verifier.verifiedAt().toString())
                  .log("Offline sign-in: the directory is unreachable; checked against the last good password");
              return new Result(verifier.account(), true);
            }));
  }

  // ---- admin probes ----------------------------------------------------------------------------------

  @Override
  public Future<JsonObject> test(String directoryId, String username, String password) {
    invalidate();
    return directory(directoryId).compose(directory -> blocking(() -> test(directory, username, password)));
  }

  private JsonObject test(LdapDirectory directory, String username, String password) {
    JsonObject result = new JsonObject().put("directory", directory.settings().name());
    LDAPConnection connection;
    try {
      connection = directory.connect();
    } catch (LdapDirectory.UnreachableException e) {
      return result.put("bind", new JsonObject().put("ok", false).put("detail", e.getMessage()));
    }
    try (connection) {
      result.put("bind", new JsonObject().put("ok", true).put("url", directory.lastUrl())
          .put("detail", "bound as " + directory.settings().bindDn()));
      if (username == null || username.isEmpty()) {
        return result;
      }
      LdapDirectory.UserEntry user = directory.findUser(connection, username);
      if (user == null) {
        return result.put("user", new JsonObject().put("found", false)).put("groups", new JsonArray())
            .put("password", "not-checked");
      }
      result.put("user", new JsonObject().put("found", true).put("dn", user.dn()).put("username", user.username())
          .put("displayName", user.displayName()).put("id", user.id()));
      result.put("groups", new JsonArray(List.copyOf(directory.groups(connection, user))));
      String checked = password == null || password.isEmpty() ? "not-checked"
          : directory.passwordMatches(connection, user.dn(), password) ? "accepted" : "refused";
      return result.put("password", checked);
    } catch (LDAPException e) {
      return result.put("error", LdapDirectory.describe(e));
    }
  }

  @Override
  public Future<JsonArray> groups(String directoryId, String query) {
    return directory(directoryId).compose(directory -> blocking(() -> {
      try (LDAPConnection connection = directory.connect()) {
        JsonArray items = new JsonArray();
        for (String[] group : directory.listGroups(connection, query)) {
          items.add(new JsonObject().put("dn", group[0]).put("name", group[1]));
        }
        return items;
      } catch (LdapDirectory.UnreachableException e) {
        throw ServerErrorException.unavailable(e.getMessage());
      } catch (LDAPException e) {
        throw ServerErrorException.unavailable(directory.settings().name() + ": " + LdapDirectory.describe(e));
      }
    }));
  }

  private Future<LdapDirectory> directory(String id) {
    return directories().compose(all -> all.stream().filter(d -> d.settings().id().equals(id)
            || d.settings().name().equalsIgnoreCase(id)).findFirst()
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(ClientErrorException.notFound("no directory '" + id
            + "' in this appliance's resource location"))));
  }

  // ---- settings ----------------------------------------------------------------------------------------

  /** The directories of this location by priority; refreshed from the source now and then, stale if it fails. */
  private Future<List<LdapDirectory>> directories() {
    Known current = known;
    if (current != null && current.fetchedAt().plus(config.settingsRefresh()).isAfter(clock.instant())) {
      return Future.succeededFuture(current.directories());
    }
    return reload(current);
  }

  private Future<List<LdapDirectory>> reload(Known current) {
    Instant now = clock.instant();
    return source.get()
        .map(settings -> {
          List<LdapDirectory> built = build(settings, current);
          known = new Known(built, now);
          offline.prune(settings.stream().map(DirectorySettings::id).toList(), config.offlineWindow(), now)
              .onSuccess(pruned -> {
                if (pruned > 0) {
                  LOG.info("Forgot {} offline verifier(s) that expired or whose directory is gone", pruned);
                }
              });
          return built;
        })
        .recover(e -> {
          if (current == null) {
            return Future.failedFuture(e);
          }
          LOG.debug("Cannot refresh the directory settings, using the last ones: {}", e.getMessage());
          return Future.succeededFuture(current.directories());
        });
  }

  /** Keeps the existing client (and its preferred server) of every directory whose settings did not change. */
  private List<LdapDirectory> build(List<DirectorySettings> settings, Known previous) {
    Map<String, LdapDirectory> existing = new HashMap<>();
    if (previous != null) {
      previous.directories().forEach(d -> existing.put(d.settings().id(), d));
    }
    List<LdapDirectory> built = new ArrayList<>();
    for (DirectorySettings s : settings) {
      LdapDirectory old = existing.get(s.id());
      if (old != null && old.settings().toWireJson().equals(s.toWireJson())) {
        built.add(old);
        continue;
      }
      try {
        built.add(new LdapDirectory(s, config.connectTimeout(), config.timeout()));
      } catch (IllegalArgumentException e) {
        LOG.error("Directory {} is not usable: {}", s.name(), e.getMessage());
      }
    }
    built.sort(Comparator.comparingInt((LdapDirectory d) -> d.settings().priority())
        .thenComparing(d -> d.settings().name(), String.CASE_INSENSITIVE_ORDER));
    return built;
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return workers.executeBlocking(work, false);
  }
}
