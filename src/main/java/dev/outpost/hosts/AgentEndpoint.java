package dev.outpost.hosts;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.AgentLinkProtocol.Command;
import dev.outpost.hosts.impl.AgentCertificates;
import dev.outpost.hosts.impl.AgentLinks;
import dev.outpost.hosts.impl.Enrollment;
import dev.outpost.hosts.impl.LinkSession;
import dev.outpost.hosts.impl.LinkSession.EnrolledHost;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The appliance side of the agent protocol under {@value AgentLinkProtocol#MOUNT}: enrollment with a token
 * ({@code POST /enroll}) and the mTLS WebSocket link ({@code GET /link}) over which agents register, report and
 * take commands. Reports go to {@link HostEvents}; commands come in through {@link AgentCommands}.
 */
public final class AgentEndpoint implements AgentCommands, AgentDirectory {

  /**
   * @param certificateValidity how long an agent's client certificate is valid (issued at enrollment or renewal)
   * @param enrollFailuresPerMinute failed enrollments one address may make per minute
   * @param registerTimeout how long a new link may take to send {@code register}
   * @param commandTimeout how long an agent may take to answer a command
   * @param renewAtPercent after which share of its lifetime, in percent, an agent renews its certificate
   */
  public record Settings(Duration certificateValidity, int enrollFailuresPerMinute, Duration registerTimeout,
      Duration commandTimeout, int renewAtPercent) {

    public static final Settings DEFAULTS = new Settings(Duration.ofDays(365), 10, Duration.ofSeconds(10),
        Duration.ofSeconds(10), 67);

    public Settings {
      Objects.requireNonNull(certificateValidity);
      Objects.requireNonNull(registerTimeout);
      Objects.requireNonNull(commandTimeout);
      if (enrollFailuresPerMinute < 1) {
        throw new IllegalArgumentException("enrollFailuresPerMinute must be at least 1");
      }
      if (renewAtPercent < 1 || renewAtPercent > 99) {
        throw new IllegalArgumentException("renewAtPercent must be between 1 and 99");
      }
    }

    /** Settings with agents renewing at two thirds of their certificate's lifetime. */
    public Settings(Duration certificateValidity, int enrollFailuresPerMinute, Duration registerTimeout,
        Duration commandTimeout) {
      this(certificateValidity, enrollFailuresPerMinute, registerTimeout, commandTimeout, DEFAULTS.renewAtPercent());
    }

    /** The same settings with agents' certificates valid for {@code validity}, renewed at {@code percent}. */
    public Settings withCertificates(Duration validity, int percent) {
      return new Settings(validity, enrollFailuresPerMinute, registerTimeout, commandTimeout, percent);
    }
  }

  private final Vertx vertx;
  private final EnrollmentLedger ledger;
  private final SiteCertificates certificates;
  private final HostEvents events;
  private final String applianceId;
  private final Settings settings;
  private final Clock clock;
  private final Enrollment enrollment;
  private final AgentCertificates renewals;
  private final AgentLinks links = new AgentLinks();
  private final Supplier<? extends Collection<String>> siteAppliances;
  private volatile boolean handingOff;

  /**
   * @param applianceId this node's id, reported with each registration
   */
  /**
   * @param ledger where enrollments are recorded and enrolled hosts are found (this node's database, or the hub)
   */
  public AgentEndpoint(Vertx vertx, EnrollmentLedger ledger, SiteCertificates certificates, HostEvents events,
      String applianceId, Settings settings, Clock clock) {
    this(vertx, ledger, certificates, events, applianceId, settings, clock, List::of);
  }

  /**
   * @param siteAppliances the HTTPS URLs of the location's appliances, this one included: each linked agent learns
   *     them (in its own order, {@link ApplianceOrder}) to fail over to another node when this one goes
   */
  public AgentEndpoint(Vertx vertx, EnrollmentLedger ledger, SiteCertificates certificates, HostEvents events,
      String applianceId, Settings settings, Clock clock, Supplier<? extends Collection<String>> siteAppliances) {
    this.siteAppliances = Objects.requireNonNull(siteAppliances);
    this.vertx = Objects.requireNonNull(vertx);
    this.ledger = Objects.requireNonNull(ledger);
    this.certificates = Objects.requireNonNull(certificates);
    this.events = Objects.requireNonNull(events);
    this.applianceId = Objects.requireNonNull(applianceId);
    this.settings = Objects.requireNonNull(settings);
    this.clock = Objects.requireNonNull(clock);
    this.enrollment = new Enrollment(ledger, certificates, settings.certificateValidity(),
        settings.enrollFailuresPerMinute(), clock, applianceId);
    this.renewals = new AgentCertificates(ledger, certificates, settings.certificateValidity(),
        settings.renewAtPercent(), applianceId);
  }

  /** Mounts the routes on the router under {@value AgentLinkProtocol#MOUNT}. */
  public void mount(Router router) {
    router.post(AgentLinkProtocol.ENROLL_PATH).handler(this::enroll);
    router.get(AgentLinkProtocol.LINK_PATH).handler(this::link);
    router.route().handler(ctx -> ctx.fail(ClientErrorException.notFound("no such agent API path: "
        + ctx.normalizedPath() + "; agents use POST " + AgentLinkProtocol.MOUNT + AgentLinkProtocol.ENROLL_PATH
        + " and GET " + AgentLinkProtocol.MOUNT + AgentLinkProtocol.LINK_PATH)));
  }

  /**
   * Reports the agents linked to this node as the gauge {@code outpost_agent_links}, the days left of the soonest
   * ending certificate among them as {@code outpost_certificate_expiry_days{certificate="agent-soonest"}} (NaN when
   * none is linked), and the renewals as {@code outpost_certificate_renewals_total{certificate="agent"}}.
   */
  public AgentEndpoint bindMetrics(MeterRegistry registry) {
    Gauge.builder("outpost.agent.links", links, AgentLinks::size)
        .description("Session host agents linked to this node now").register(registry);
    Gauge.builder("outpost.certificate.expiry.days", this, AgentEndpoint::soonestExpiryDays)
        .tag("certificate", "agent-soonest")
        .description("Days until a certificate this node holds or tracks expires").register(registry);
    renewals.bindMetrics(registry);
    return this;
  }

  private double soonestExpiryDays() {
    return links.soonestExpiry().map(end -> Duration.between(clock.instant(), end).toMillis()
        / 86_400_000.0).orElse(Double.NaN);
  }

  /**
   * Tells every linked agent which site CAs to trust now, and to renew at once if its certificate comes from a CA
   * being retired: call after the site's CAs changed (a rotation began or its overlap ended). From any thread.
   */
  public void trustChanged() {
    links.trustChanged();
  }

  /**
   * Reports every host linked here to the broker again, at once: call when the site's broker moved to another node
   * (a new holder of the site's authority), so that launches need not wait for each host's next heartbeat. From any
   * thread.
   */
  public void registerAllAgain() {
    links.registerAllAgain();
  }

  @Override
  public List<LinkedAgent> linked() {
    return links.views();
  }

  /**
   * Drains this endpoint: refuses new links (503, so that agents try their next appliance) and tells every linked
   * agent to relink to another node at once. Completes with how many agents were told.
   */
  public Future<Integer> handOffAll() {
    handingOff = true;
    return Future.succeededFuture(links.handOffAll());
  }

  @Override
  public Future<JsonObject> send(String hostId, JsonObject command) {
    Context caller = vertx.getOrCreateContext();
    Command parsed;
    try {
      parsed = AgentCommand.fromJson(command).kind();
    } catch (ClientErrorException e) {
      return Future.failedFuture(e);
    }
    LinkSession session = links.get(hostId);
    if (session == null) {
      return Future.failedFuture(ClientErrorException.notFound("host " + hostId + " is not linked to this node"));
    }
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    session.runOnContext(() -> session.command(parsed, command)
        .onSuccess(answer::complete).onFailure(answer::completeExceptionally));
    return Future.fromCompletionStage(answer, caller);
  }

  private void enroll(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    enrollment.enroll(body, RequestContext.clientAddress(ctx), RequestContext.requestId(ctx))
        .onSuccess(enrolled -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store").end(enrolled.encode()))
        .onFailure(ctx::fail);
  }

  private void link(RoutingContext ctx) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      ctx.fail(ClientErrorException.badRequest("this is the agent link: open it as a WebSocket"));
      return;
    }
    if (handingOff) {
      ctx.fail(ServerErrorException.draining("this appliance is draining; link to another appliance of the site"));
      return;
    }
    // keep the (empty) request unread while the host is looked up, so that it can still be upgraded
    ctx.request().pause();
    X509Certificate certificate = clientCertificate(ctx);
    String claimed = ctx.request().getHeader(AgentLinkProtocol.HOST_ID_HEADER);
    findHost(certificate)
        .compose(host -> {
          if (claimed != null && !claimed.equals(host.id())) {
            return Future.failedFuture(ClientErrorException.forbidden("this certificate belongs to host " + host.id()
                + ", not " + claimed));
          }
          return ctx.request().toWebSocket().map(ws -> new LinkSession(vertx, ws, host, events, applianceId, links,
              new LinkSession.Timeouts(settings.registerTimeout(), settings.commandTimeout()), clock,
              () -> ApplianceOrder.forHost(host.id(), siteAppliances.get()), certificate, renewals));
        })
        .onSuccess(LinkSession::start)
        .onFailure(ctx::fail);
  }

  /**
   * The peer's certificate when it was issued by a CA the site trusts (the current one, or during a rotation's
   * overlap the old one) and is valid now; else a 401.
   */
  private X509Certificate clientCertificate(RoutingContext ctx) {
    List<Certificate> chain;
    try {
      chain = ctx.request().connection().peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = List.of();
    }
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
      throw ClientErrorException.unauthorized("present the client certificate issued at enrollment "
          + "(outpost agent does so); enroll first with a token");
    }
    boolean valid;
    try {
      leaf.checkValidity(java.util.Date.from(clock.instant()));
      valid = certificates.issuerOf(leaf).isPresent();
    } catch (GeneralSecurityException e) {
      valid = false;
    }
    if (!valid) {
      throw ClientErrorException.unauthorized("the client certificate was not issued by this site or has expired; "
          + "enroll again");
    }
    return leaf;
  }

  private Future<EnrolledHost> findHost(X509Certificate certificate) {
    String fingerprint = Fingerprints.sha256(certificate);
    return ledger.find(fingerprint)
        .map(row -> {
          if (row.getString("id") == null) {
            throw ClientErrorException.unauthorized("the client certificate belongs to no enrolled host "
                + "(the host was removed?); enroll again with a new token");
          }
          String id = row.getString("id");
          if (row.getBoolean("revoked", false)) {
            throw ClientErrorException.forbidden("host " + row.getString("name") + " (" + id
                + ") was deleted from the site by an admin; enroll it again with a new token");
          }
          if (!id.equals(commonName(certificate))) {
            throw ClientErrorException.forbidden("the certificate's subject does not name host " + id);
          }
          return new EnrolledHost(id, row.getString("name"), row.getString("poolId"), row.getString("address"));
        });
  }

  private static String commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType())) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }
}
