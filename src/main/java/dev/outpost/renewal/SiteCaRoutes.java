package dev.outpost.renewal;

import dev.outpost.admin.AdminExtension;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The admin API's site CA: {@code GET /site-ca} (the CA that issues, and during a rotation's overlap the one it
 * replaces) and {@code POST /site-ca/rotation} with an optional {@code overlap} (default 30d), audited as
 * {@code site-ca.rotate}. See docs/operations.md, "Certificate rotation".
 */
public final class SiteCaRoutes implements AdminExtension {

  /** How long both CAs are trusted when the admin names no overlap. */
  public static final Duration DEFAULT_OVERLAP = Duration.ofDays(30);
  private static final Set<String> FIELDS = Set.of("overlap");

  private final SiteCaRotation rotation;
  private final Function<String, Duration> overlaps;

  /**
   * @param overlaps reads an overlap as the configuration reads durations ({@code 30d}, {@code 12h}), within {@link
   *     SiteCaRotation#MIN_OVERLAP} and {@link SiteCaRotation#MAX_OVERLAP}; throws IllegalArgumentException naming
   *     the accepted form or range
   */
  public SiteCaRoutes(SiteCaRotation rotation, Function<String, Duration> overlaps) {
    this.rotation = Objects.requireNonNull(rotation);
    this.overlaps = Objects.requireNonNull(overlaps);
  }

  @Override
  public void mount(Router api, Auditor auditor) {
    api.get("/site-ca").handler(ctx -> AdminExtension.json(ctx, 200, rotation.describe()));
    api.post("/site-ca/rotation").handler(ctx -> rotate(ctx, auditor));
  }

  private void rotate(RoutingContext ctx, Auditor auditor) {
    JsonObject body = ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : JsonBodies.object(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ClientErrorException.validation("unknown field '" + field + "'; a rotation takes only 'overlap'");
      }
    }
    Duration overlap = DEFAULT_OVERLAP;
    if (body.getValue("overlap") != null) {
      if (!(body.getValue("overlap") instanceof String text)) {
        throw ClientErrorException.validation("field 'overlap' must be a duration such as 30d or 12h");
      }
      try {
        overlap = overlaps.apply(text);
      } catch (IllegalArgumentException e) {
        throw ClientErrorException.validation("field 'overlap' " + e.getMessage());
      }
    }
    rotation.rotate(overlap)
        .compose(answer -> auditor.recordApart(ctx, "site-ca.rotate", "site-ca",
                answer.getJsonObject("ca").getString("sha256"), answer.getJsonObject("ca").getString("subject"),
                answer.copy())
            .map(answer))
        .onSuccess(answer -> AdminExtension.json(ctx, 201, answer))
        .onFailure(ctx::fail);
  }
}
