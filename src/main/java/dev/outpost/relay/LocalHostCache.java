package dev.outpost.relay;

import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.SiteModelJson;
import dev.outpost.cluster.ContextHop;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AccountDirectory.Account;
import dev.outpost.identity.AccountJson;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local host cache (LHC): the newest site configuration this appliance received from its hub — the
 * location's pools, resources, entitlements and group memberships, and the accounts with their password hashes —
 * kept in memory and on disk ({@code data-dir/lhc/snapshot.json}, owner-only; authenticator secrets sealed with the
 * node's key for stored secrets), so that the appliance can sign users in, with their second factor, and broker
 * alone while the hub, or the database, cannot be reached. Refreshed every
 * {@code hub.sync-interval} while the hub answers (every second until the first snapshot arrives), and at once for
 * an account that lost access ({@link #accountChanged}).
 */
public final class LocalHostCache extends VerticleBase implements AccountDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(LocalHostCache.class);
  /** Schema version of the file. */
  public static final int FILE_VERSION = 1;

  /** One consistent configuration. */
  public record Snapshot(SiteModel model, Map<String, Account> accounts, Instant receivedAt) {
    static final Snapshot EMPTY = new Snapshot(SiteModel.empty(), Map.of(), Instant.EPOCH);

    public Snapshot {
      accounts = Map.copyOf(accounts);
    }

    JsonObject toJson(SecretBox box) {
      return new JsonObject().put("v", FILE_VERSION).put("receivedAt", receivedAt.toString())
          .put("model", SiteModelJson.toJson(model))
          .put("accounts", new JsonArray(accounts.values().stream()
              .sorted(java.util.Comparator.comparing(Account::username))
              .map(account -> AccountJson.toStoredJson(account, box)).toList()));
    }

    static Snapshot fromJson(JsonObject json, SecretBox box) {
      Map<String, Account> accounts = new HashMap<>();
      for (Object o : json.getJsonArray("accounts", new JsonArray())) {
        Account account = AccountJson.fromStoredJson((JsonObject) o, box);
        if (account != null) {
          accounts.put(account.username().toLowerCase(Locale.ROOT), account);
        }
      }
      return new Snapshot(SiteModelJson.fromJson(json.getJsonObject("model", new JsonObject())), accounts,
          Instant.parse(json.getString("receivedAt")));
    }
  }

  private final HubChannel hub;
  /** The node's key for stored secrets, which seals the authenticator secrets in the file; known once started. */
  private final Supplier<SecretBox> secrets;
  private final Path file;
  private final Duration interval;
  private volatile Snapshot current = Snapshot.EMPTY;
  private String persisted = "";
  private boolean syncing;
  private volatile long lastSync = System.nanoTime();
  /** Account changes the hub pushed; a sync that overlapped one keeps the pushed accounts (see {@link #sync}). */
  private volatile long pushes;
  /** Whether the next sync fetches the accounts even when the site model did not change. */
  private volatile boolean accountsStale;

  /** @param secrets the node's key for stored secrets, asked for when the cache starts */
  public LocalHostCache(HubChannel hub, Path dataDir, Duration interval, Supplier<SecretBox> secrets) {
    this.hub = Objects.requireNonNull(hub);
    this.secrets = Objects.requireNonNull(secrets);
    this.file = dataDir.resolve("lhc").resolve("snapshot.json");
    this.interval = Objects.requireNonNull(interval);
  }

  /** Loads the last snapshot from disk (if any), then keeps it fresh. */
  @Override
  public Future<?> start() {
    return vertx.executeBlocking(this::load).onSuccess(loaded -> {
      if (loaded != null) {
        current = loaded;
        LOG.info("Local host cache loaded: site model version {}, {} account(s), received {}",
            loaded.model().version(), loaded.accounts().size(), loaded.receivedAt());
      }
      // until the first snapshot arrives (the hub link may come up after this starts), ask every second; then
      // every interval
      vertx.setPeriodic(Math.min(1_000, interval.toMillis()), id -> {
        if (current == Snapshot.EMPTY || System.nanoTime() - lastSync >= interval.toNanos()) {
          sync();
        }
      });
      sync();
    });
  }

  /** The newest snapshot; safe from any thread. */
  public Snapshot snapshot() {
    return current;
  }

  public SiteModel model() {
    return current.model();
  }

  @Override
  public Future<Account> find(String username) {
    return Future.succeededFuture(current.accounts().get(username.toLowerCase(Locale.ROOT)));
  }

  /** Fetches the configuration now if the hub answers; completes with the snapshot in use afterwards. */
  public Future<Snapshot> sync() {
    if (syncing || !hub.reachable()) {
      return Future.succeededFuture(current);
    }
    syncing = true;
    long have = current.model().version();
    long pushesBefore = pushes;
    boolean refetch = accountsStale;
    // accounts change the site model version too, so an unchanged model means unchanged accounts
    return hub.request(BrokerOperations.SITE_SNAPSHOT, new JsonObject().put("haveVersion", have))
        .compose(model -> model.getBoolean("unchanged", false) && !current.accounts().isEmpty() && !refetch
            ? Future.succeededFuture(current)
            : hub.request(AccountOperations.SNAPSHOT, new JsonObject()).map(accounts -> new Snapshot(
                model.getBoolean("unchanged", false) ? current.model()
                    : SiteModelJson.fromJson(model.getJsonObject("model")),
                byName(accounts.getJsonArray("items", new JsonArray())), Instant.now())))
        .map(fresh -> overlapped(fresh, pushesBefore, refetch))
        .compose(this::keep)
        .onSuccess(kept -> lastSync = System.nanoTime())
        .onFailure(e -> LOG.debug("Local host cache not refreshed: {}", e.getMessage()))
        .recover(e -> Future.succeededFuture(current))
        .onComplete(ar -> syncing = false);
  }

  /**
   * An account change the hub pushed while this sync was under way may be newer than the accounts it fetched: keep
   * the pushed ones and fetch all accounts again at the next sync.
   */
  private Snapshot overlapped(Snapshot fresh, long pushesBefore, boolean refetched) {
    if (fresh == current) {
      return fresh;
    }
    if (pushes != pushesBefore) {
      accountsStale = true;
      return new Snapshot(fresh.model(), current.accounts(), fresh.receivedAt());
    }
    if (refetched) {
      accountsStale = false;
    }
    return fresh;
  }

  /**
   * The hub says an account lost access (disabled, new password, a role removed; {@code account} {@code null}:
   * deleted). The copy here follows at once, on disk too, so that sign-in and lease launches in an outage that
   * starts right after see it.
   */
  public Future<Void> accountChanged(String userId, Account account) {
    return ContextHop.to(vertx, context, () -> {
      pushes++;
      Map<String, Account> accounts = new HashMap<>(current.accounts());
      accounts.values().removeIf(a -> a.id().equals(userId));
      if (account != null) {
        accounts.put(account.username().toLowerCase(Locale.ROOT), account);
      }
      return keep(new Snapshot(current.model(), accounts, current.receivedAt()));
    }).mapEmpty();
  }

  private Future<Snapshot> keep(Snapshot fresh) {
    if (fresh == current) {
      return Future.succeededFuture(fresh);
    }
    long before = current.model().version();
    current = fresh;
    // compared without the sealed secrets, whose nonces differ at every sealing
    JsonObject json = fresh.toJson(null);
    json.remove("receivedAt");
    String content = json.encode();
    if (content.equals(persisted)) {
      return Future.succeededFuture(fresh);
    }
    SecretBox box = secrets.get();
    return vertx.executeBlocking(() -> {
      write(fresh.toJson(box).encode());
      return fresh;
    }).onSuccess(s -> {
      persisted = content;
      if (before != s.model().version()) {
        LOG.info("Local host cache updated to site model version {} ({} account(s))", s.model().version(),
            s.accounts().size());
      }
    });
  }

  private Snapshot load() throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return Snapshot.fromJson(new JsonObject(Files.readString(file, StandardCharsets.UTF_8)), secrets.get());
    } catch (RuntimeException e) {
      LOG.warn("Ignoring the unreadable local host cache {}: {}", file, e.getMessage());
      return null;
    }
  }

  /** Replaces the file atomically, owner-only: it holds password hashes. */
  private void write(String content) throws IOException {
    SecureFiles.createPrivateDirectories(file.getParent());
    Path next = file.resolveSibling("snapshot.json.new");
    SecureFiles.writePrivate(next, content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static Map<String, Account> byName(JsonArray items) {
    Map<String, Account> accounts = new HashMap<>();
    for (Object o : items) {
      Account account = AccountJson.fromJson((JsonObject) o);
      if (account != null) {
        accounts.put(account.username().toLowerCase(Locale.ROOT), account);
      }
    }
    return accounts;
  }
}
