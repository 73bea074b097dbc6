package dev.outpost.admin;

import dev.outpost.admin.impl.ApiTokenRoutes;
import dev.outpost.admin.impl.SecondFactorResetRoutes;
import dev.outpost.admin.impl.AuditLog;
import dev.outpost.admin.impl.NodeDrainRoutes;
import dev.outpost.admin.impl.OpenApiSummaries;
import dev.outpost.cluster.LocalControl;
import dev.outpost.cluster.NodeDrain;
import dev.outpost.admin.impl.AuditEvidence;
import dev.outpost.admin.impl.AuditRoutes;
import dev.outpost.admin.impl.AuditVerifier;
import dev.outpost.admin.impl.CrudRoutes;
import dev.outpost.admin.impl.DirectoryStore;
import dev.outpost.admin.impl.EnrollTokenRoutes;
import dev.outpost.admin.impl.EntitlementStore;
import dev.outpost.admin.impl.EntityStore;
import dev.outpost.admin.impl.GroupStore;
import dev.outpost.admin.impl.PoolStore;
import dev.outpost.admin.impl.ResourceStore;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.admin.impl.Responses;
import dev.outpost.admin.impl.UnmatchedRoutes;
import dev.outpost.admin.impl.UserStore;
import dev.outpost.broker.BrokerClient;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.DiskSpool;
import dev.outpost.error.ClientErrorException;
import dev.outpost.hosts.AgentDirectory;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Principal;
import dev.outpost.identity.Role;
import dev.outpost.identity.directory.DirectoryProbe;
import dev.outpost.http.RequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The admin REST API under {@code /admin/api/v1/}: the site model (users, groups, pools, resources,
 * entitlements, directories), enrollment tokens, API tokens, the audit log, the cluster's nodes and the agents linked
 * to this node, for the {@code admin} role only (sessions and one's own API tokens for session admins too); API
 * tokens act within their scope. The OpenAPI
 * document at {@code openapi.json} is public so that tools can read it before signing in.
 */
public final class AdminApi {

  public static final String MOUNT = "/admin/api/v1";
  /** Classpath location of the hand-written OpenAPI document. */
  public static final String OPENAPI_RESOURCE = "openapi/admin-api.json";

  private final Vertx vertx;
  private final Database db;
  private final LoginService logins;
  private final Supplier<JsonObject> nodes;
  private final String node;
  /** This node's name once found in the node list; it does not change while the node runs. */
  private volatile String nodeName;
  private final EnrollTokenAuthority tokens;
  private final AgentDirectory agents;
  private final AuditLog audit = new AuditLog();
  private final NodeDrainRoutes drainRoutes;
  private final SpooledAudit spooledAudit;
  private final List<EntityStore> stores;
  /** The collections {@link #mount} serves, whose OpenAPI summaries are made from their names. */
  private volatile List<EntityStore> servedStores = List.of();
  private volatile Future<Buffer> openApiDocument;
  private final BrokerAdminRoutes brokerRoutes;
  private final HostAdminRoutes hostRoutes;
  private final List<AdminExtension> extensions;
  /** The separate hub that manages the site model, or {@code null} when it is managed here. */
  private final java.net.URI managingHub;
  private final java.util.function.Supplier<java.util.Optional<String>> writeRefusal;
  private final EntityStore directoryStore;
  private final DirectoryAdminRoutes directoryRoutes;
  /** Checkpoints and export of the audit log, where the role asked for them. */
  private final java.util.Optional<AuditEvidence> evidence;

  /**
   * What an admin API serves beyond its core, decided by the role before the API is built (Vert.x options style):
   * admin routes of other features, what ends with an account's access, whether a separate hub manages the site
   * model, directories, and the node drain routes.
   */
  public static final class Options {
    private List<AdminExtension> extensions = List.of();
    private AccessWithdrawal withdrawal = AccessWithdrawal.NONE;
    private java.util.Optional<java.net.URI> managingHub = java.util.Optional.empty();
    private java.util.function.Supplier<java.util.Optional<String>> writeRefusal = java.util.Optional::empty;
    private java.util.Optional<Directories> directories = java.util.Optional.empty();
    private java.util.Optional<Drain> drain = java.util.Optional.empty();
    private java.util.Optional<Evidence> evidence = java.util.Optional.empty();

    /** Admin-only routes of other features, mounted after the built-in ones. */
    public Options extensions(List<AdminExtension> extensions) {
      this.extensions = List.copyOf(extensions);
      return this;
    }

    /** What else ends when an account loses access (its connection leases), besides its sign-in sessions. */
    public Options withdrawal(AccessWithdrawal withdrawal) {
      this.withdrawal = Objects.requireNonNull(withdrawal);
      return this;
    }

    /** The site model is managed by a separate hub: its routes answer 409 with where to go instead. */
    public Options managedBy(java.util.Optional<java.net.URI> hub) {
      this.managingHub = Objects.requireNonNull(hub);
      return this;
    }

    /**
     * Why this node must not change the site's configuration now, if it must not: a node cut off from the majority of
     * its site (below {@code cluster.min-members}) refuses users, groups, pools, resources, entitlements, directories
     * and enrollment tokens with 503 and that reason, so that it never writes what the majority may contradict.
     */
    public Options writeRefusal(java.util.function.Supplier<java.util.Optional<String>> refusal) {
      this.writeRefusal = Objects.requireNonNull(refusal);
      return this;
    }

    /**
     * Serves directories ({@code /directories}): CRUD over the site model, with bind secrets sealed by
     * {@code secrets}, and tests and group lists run by {@code probe}; {@code changed} is told after every change.
     */
    public Options directories(SecretBox secrets, Runnable changed, DirectoryProbe probe) {
      this.directories = java.util.Optional.of(new Directories(secrets, changed, probe));
      return this;
    }

    /**
     * Serves {@code /nodes/{id}/drain}: for this node to admins and to the holder of the data dir's local control
     * credential, for the cluster's other nodes to admins (through the event bus); and answers the other nodes'
     * requests for this one. A node id or member id names the member of {@code /nodes} that has it now.
     */
    public Options drain(NodeDrain drain, LocalControl control) {
      this.drain = java.util.Optional.of(new Drain(drain, control));
      return this;
    }

    /**
     * Makes the audit log evidence: signs checkpoints of its hash chain with a key sealed by {@code secrets}, and
     * delivers it to the syslog collectors of {@code config}; the verification then also checks the checkpoints.
     */
    public Options audit(SecretBox secrets, AuditConfig config, MeterRegistry metrics) {
      this.evidence = java.util.Optional.of(new Evidence(secrets, config, metrics));
      return this;
    }
  }

  private record Evidence(SecretBox secrets, AuditConfig config, MeterRegistry metrics) {
  }

  private record Directories(SecretBox secrets, Runnable changed, DirectoryProbe probe) {
  }

  private record Drain(NodeDrain drain, LocalControl control) {
  }

  /**
   * @param node this node's id; audit rows name the node by the name it publishes in {@code nodes}, if any
   * @param tokens whose CA enrollment tokens name, and where agents enroll
   * @param agents the agents linked to this node
   * @param auditSpool where audit entries of session and host actions wait while the database is down
   */
  public AdminApi(Vertx vertx, Database db, LoginService logins, Supplier<JsonObject> nodes, PasswordHasher hasher,
      String node, EnrollTokenAuthority tokens, AgentDirectory agents, BrokerClient broker,
      DiskSpool auditSpool, Options options) {
    this.extensions = options.extensions;
    this.spooledAudit = new SpooledAudit(db, audit, auditSpool, Clock.systemUTC());
    this.brokerRoutes = new BrokerAdminRoutes(spooledAudit, broker, this::actor, db);
    this.hostRoutes = new HostAdminRoutes(db, audit, spooledAudit, broker, this::actor);
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.logins = Objects.requireNonNull(logins);
    this.nodes = Objects.requireNonNull(nodes);
    this.node = Objects.requireNonNull(node);
    this.tokens = Objects.requireNonNull(tokens);
    this.agents = Objects.requireNonNull(agents);
    AccessWithdrawal signOut = AccessWithdrawal.afterCommit((userId, username) -> logins.revokeUser(userId));
    this.stores = List.of(new UserStore(vertx, hasher, options.withdrawal.andThen(signOut)), new GroupStore(),
        new PoolStore(), new ResourceStore(), new EntitlementStore());
    this.managingHub = options.managingHub.orElse(null);
    this.writeRefusal = options.writeRefusal;
    this.directoryStore = options.directories.map(d -> (EntityStore) new DirectoryStore(d.secrets(), d.changed()))
        .orElse(null);
    this.directoryRoutes = options.directories.map(d -> new DirectoryAdminRoutes(d.probe())).orElse(null);
    this.drainRoutes = options.drain.map(d -> new NodeDrainRoutes(db, audit, logins, d.drain(), d.control(),
        vertx.eventBus(), this::nodeOf, node, this::nodeName)).orElse(null);
    if (drainRoutes != null) {
      drainRoutes.listen();
    }
    this.evidence = options.evidence.map(e -> AuditEvidence.create(vertx, db, e.secrets(), e.config(),
        this::nodeName, e.metrics()));
  }

  /**
   * A secret the admin API stores sealed under the key for stored secrets (the audit signing key), if any: what that
   * key must open (see {@link dev.outpost.db.StoredSecretsKey}).
   */
  public static Future<java.util.Optional<dev.outpost.db.StoredSecretsKey.Sealed>> sealedSample(
      io.vertx.sqlclient.SqlConnection conn) {
    return dev.outpost.admin.impl.AuditCheckpoints.sealedSample(conn);
  }

  /** Lets reads through; refuses a change with 503 while this node must not change the site's configuration. */
  private void refuseWritesWhenCutOff(io.vertx.ext.web.RoutingContext ctx) {
    io.vertx.core.http.HttpMethod method = ctx.request().method();
    if (method == io.vertx.core.http.HttpMethod.GET || method == io.vertx.core.http.HttpMethod.HEAD) {
      ctx.next();
      return;
    }
    writeRefusal.get().ifPresentOrElse(
        why -> ctx.fail(dev.outpost.error.ServerErrorException.unavailable(why)), ctx::next);
  }

  /** The node id of the member of {@code /nodes} whose node id or member id is {@code id}. */
  private java.util.Optional<String> nodeOf(String id) {
    JsonArray members = nodes.get().getJsonArray("items", new JsonArray());
    for (int i = 0; i < members.size(); i++) {
      JsonObject member = members.getJsonObject(i);
      if (member.getString("node") != null && (id.equals(member.getString("id"))
          || id.equals(member.getString("node")))) {
        return java.util.Optional.of(member.getString("node"));
      }
    }
    return java.util.Optional.empty();
  }

  public void mount(Router api) {
    spooledAudit.start(); // once, however many front-door instances mount the API
    evidence.ifPresent(AuditEvidence::start);
    api.get("/openapi.json").handler(this::openApi);
    if (drainRoutes != null) {
      drainRoutes.mount(api); // before the admin role check: the local control credential is no admin session
    }
    // Session admins (help desk) may list and act on sessions, and nothing else.
    api.route("/sessions*").handler(AuthHandler.requireAny(logins, Role.ADMIN, Role.SESSION_ADMIN));
    brokerRoutes.mountSessions(api, managingHub);
    // ... and make their own API tokens (the routes refuse callers that are tokens themselves)
    api.route("/api-tokens*").handler(AuthHandler.requireAny(logins, Role.ADMIN, Role.SESSION_ADMIN));
    new ApiTokenRoutes(db, audit, logins::account, this::actor, Clock.systemUTC()).mount(api);
    api.route().handler(AuthHandler.requireAny(logins, Role.ADMIN));
    hostRoutes.mount(api, managingHub);
    api.get("/nodes").handler(ctx -> Responses.json(ctx, 200, nodes.get()));
    if (directoryRoutes != null) {
      directoryRoutes.mount(api); // before the collection routes: an appliance of a hub still tests its directories
    }
    List<EntityStore> served = new java.util.ArrayList<>(stores);
    if (directoryStore != null) {
      served.add(directoryStore);
    }
    servedStores = List.copyOf(served);
    for (EntityStore store : served) {
      if (managingHub == null) {
        api.route("/" + store.collection() + "*").handler(this::refuseWritesWhenCutOff);
        new CrudRoutes(db, audit, store, this::actor, MOUNT).mount(api);
      } else {
        api.route("/" + store.collection() + "*").handler(ctx -> ctx.fail(ClientErrorException.conflict(
            "this appliance belongs to hub " + managingHub + ": manage " + store.collection() + " there, at "
                + managingHub.resolve(MOUNT + "/" + store.collection()))));
      }
    }
    if (managingHub == null) {
      api.route("/enroll-tokens*").handler(this::refuseWritesWhenCutOff);
      new SecondFactorResetRoutes(db, audit, this::actor).mount(api);
      new EnrollTokenRoutes(db, audit, this::actor, tokens, MOUNT, this::nodeName).mount(api);
    } else {
      api.route("/enroll-tokens*").handler(ctx -> ctx.fail(ClientErrorException.conflict(
          "this appliance belongs to hub " + managingHub + ": create enrollment tokens there, at "
              + managingHub.resolve(MOUNT + "/enroll-tokens"))));
    }
    api.get("/agents").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("node", node)
        .put("items", new JsonArray(agents.linked().stream().map(AgentDirectory.LinkedAgent::toJson).toList()))));
    new AuditRoutes(db, audit, evidence.map(AuditEvidence::verifier)
        .orElseGet(() -> new AuditVerifier(vertx, db, java.util.Optional.empty())),
        evidence.map(AuditEvidence::checkpoints)).mount(api);
    AdminExtension.Auditor auditor = new AdminExtension.Auditor() {
      @Override
      public Future<Void> record(RoutingContext ctx, SqlClient sql, String action, String targetType,
          String targetId, String targetName, JsonObject detail) {
        return audit.record(sql, actor(ctx), action, targetType, targetId, targetName, detail);
      }

      @Override
      public Future<Void> recordApart(RoutingContext ctx, String action, String targetType, String targetId,
          String targetName, JsonObject detail) {
        return spooledAudit.record(actor(ctx), action, targetType, targetId, targetName, detail);
      }
    };
    for (AdminExtension extension : extensions) {
      extension.mount(api, auditor);
    }
    api.route().handler(new UnmatchedRoutes(api));
  }

  /**
   * The routes {@link #mount} registers on a fresh router, as {@code "METHOD /path"} with OpenAPI-style
   * {@code {param}}s, to check the OpenAPI document against.
   */
  public SortedSet<String> routes(Vertx vertx) {
    Router router = Router.router(vertx);
    mount(router);
    return describe(router);
  }

  static SortedSet<String> describe(Router router) {
    SortedSet<String> routes = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
        continue; // handlers for every path: authentication, the 404/405 fallback
      }
      String path = route.getPath().replaceAll(":([A-Za-z][A-Za-z0-9_]*)", "{$1}");
      route.methods().forEach(method -> routes.add(method.name() + " " + path));
    }
    return routes;
  }

  /** Who acts: the signed-in account, or the owner of the API token and the token's name. */
  private Actor actor(RoutingContext ctx) {
    Principal principal = AuthHandler.principal(ctx);
    String name = principal.token() == null ? principal.username()
        : principal.username() + " [API token " + principal.token().name() + "]";
    return new Actor(principal.userId(), name, RequestContext.requestId(ctx), nodeName());
  }

  /**
   * How audit rows name this node for the people who read them: the name it publishes to its cluster (its public
   * name or host name), else its id (a hub, whose node list is of its appliances).
   */
  private String nodeName() {
    String known = nodeName;
    if (known != null) {
      return known;
    }
    JsonArray members = nodes.get().getJsonArray("items", new JsonArray());
    for (int i = 0; i < members.size(); i++) {
      JsonObject member = members.getJsonObject(i);
      if (member.getBoolean("local", false) && node.equals(member.getString("node"))
          && member.getString("name") != null) {
        nodeName = member.getString("name");
        return nodeName;
      }
    }
    return node;
  }

  private void openApi(RoutingContext ctx) {
    openApiDocument()
        .onSuccess(document -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "public, max-age=300").end(document))
        .onFailure(ctx::fail);
  }

  /** The hand-written document with the collections' summaries made from their names; read once. */
  private Future<Buffer> openApiDocument() {
    Future<Buffer> document = openApiDocument;
    if (document == null || document.failed()) {
      document = vertx.fileSystem().readFile(OPENAPI_RESOURCE)
          .map(text -> OpenApiSummaries.fill(new JsonObject(text), servedStores).toBuffer());
      openApiDocument = document;
    }
    return document;
  }
}
