package dev.outpost.hub;

import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
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
 * token authenticates; failed attempts are throttled per address.
 */
public final class ConnectorEnrollmentRoutes {

  public static final String MOUNT = "/hub/v1";
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorEnrollmentRoutes.class);

  private final Locations locations;
  private final dev.outpost.identity.LoginThrottle throttle =
      new dev.outpost.identity.LoginThrottle(1000, 20, Duration.ofMinutes(10), Clock.systemUTC());

  public ConnectorEnrollmentRoutes(Locations locations) {
    this.locations = Objects.requireNonNull(locations);
  }

  public void mount(Router api) {
    api.post("/enroll").handler(this::enroll);
  }

  private void enroll(RoutingContext ctx) {
    String address = RequestContext.clientAddress(ctx);
    var wait = throttle.blockedFor("connector-enrollment", address);
    if (wait.isPresent()) {
      throw ClientErrorException.tooManyRequests("too many failed enrollments from this address; try again in "
          + Math.max(1, wait.get().toSeconds()) + " s", wait.get());
    }
    JsonObject body = JsonBodies.object(ctx);
    String node = JsonBodies.singleLine("node", text(body, "node"));
    String name = JsonBodies.singleLine("name", body.getValue("name") instanceof String given ? given : node);
    locations.enroll(text(body, "token"), node, name, text(body, "publicKey"),
            text(body, "siteCaSha256"))
        .onSuccess(enrolled -> {
          LOG.atInfo().addKeyValue("node", node).addKeyValue("location", enrolled.getString("location"))
              .log("Appliance enrolled");
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
              .putHeader("Cache-Control", "no-store").end(enrolled.encode());
        })
        .onFailure(e -> {
          throttle.recordFailure("connector-enrollment", address);
          ctx.fail(e);
        });
  }

  private static String text(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String value) || value.isBlank() || value.length() > 8192) {
      throw ClientErrorException.validation("field '" + field + "' is required");
    }
    return value;
  }
}
