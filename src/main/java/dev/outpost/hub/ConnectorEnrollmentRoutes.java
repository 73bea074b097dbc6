package dev.outpost.hub;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import dev.outpost.identity.InMemoryAttemptCounters;
import dev.outpost.identity.LoginThrottle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /hub/v1/enroll}: an appliance trades a connector token for its client certificate. The
 * token authenticates; failed attempts are throttled per address (and in total), counted before the token is
 * checked.
 */
public final class ConnectorEnrollmentRoutes {

  public static final String MOUNT = "/hub/v1";
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorEnrollmentRoutes.class);

  /** A shared name under which every address's failures also count, capping guesses spread over addresses. */
  private static final String ALL_ADDRESSES = "connector-enrollment";

  private final Locations locations;
  private final LoginThrottle throttle =
      new LoginThrottle(new InMemoryAttemptCounters(Clock.systemUTC()), 1000, 20, Duration.ofMinutes(10));

  public ConnectorEnrollmentRoutes(Locations locations) {
    this.locations = Objects.requireNonNull(locations);
  }

  public void mount(Router api) {
    api.post("/enroll").handler(this::enroll);
  }

  /** What an appliance sends. */
  private record Request(String token, String node, String name, String publicKey, String siteCaSha256) {
  }

  /**
   * Checks the form of the request, then takes a slot for the attempt before its token is checked, so that
   * parallel guesses cannot pass the limit.
   */
  private void enroll(RoutingContext ctx) {
    String address = RequestContext.clientAddress(ctx);
    JsonObject body = JsonBodies.object(ctx);
    String node = JsonBodies.singleLine("node", text(body, "node"));
    String name = JsonBodies.singleLine("name", body.getValue("name") instanceof String given ? given : node);
    Request request = new Request(text(body, "token"), node, name, text(body, "publicKey"),
        text(body, "siteCaSha256"));
    throttle.reserve(ALL_ADDRESSES, address)
        .onFailure(ctx::fail)
        .onSuccess(attempt -> {
          if (attempt.refusedFor().isPresent()) {
            Duration wait = attempt.refusedFor().get();
            ctx.fail(ClientErrorException.tooManyRequests("too many failed enrollments from this address; try again "
                + "in " + Math.max(1, wait.toSeconds()) + " s", wait));
          } else {
            enroll(ctx, request, attempt);
          }
        });
  }

  private void enroll(RoutingContext ctx, Request request, LoginThrottle.Attempt attempt) {
    locations.enroll(request.token(), request.node(), request.name(), request.publicKey(), request.siteCaSha256())
        .onSuccess(enrolled -> {
          // a connector that enrolled gives its slots back; it does not clear the count shared by all addresses
          attempt.withdrawn();
          LOG.atInfo().addKeyValue("node", request.node()).addKeyValue("location", enrolled.getString("location"))
              .log("Appliance enrolled");
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "no-store").end(enrolled.encode());
        })
        .onFailure(e -> {
          // a refused token counts; an error on the hub's side (no verdict) does not
          Future<Void> settled = e instanceof OutpostException o && o.status() < 500 ? attempt.failed()
              : attempt.withdrawn();
          settled.onComplete(v -> ctx.fail(e));
        });
  }

  private static String text(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String value) || value.isBlank() || value.length() > 8192) {
      throw ClientErrorException.validation("field '" + field + "' is required");
    }
    return value;
  }
}
