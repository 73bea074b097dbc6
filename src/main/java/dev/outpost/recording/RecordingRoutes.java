package dev.outpost.recording;

import dev.outpost.admin.AdminExtension;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * The admin API's browser terminal recordings of this node: {@code GET /recordings} (filtered by {@code user} or
 * {@code session}), {@code GET /recordings/{id}} (the asciicast file), {@code DELETE /recordings/{id}}. Downloads and
 * deletions are audited ({@code recording.download}, {@code recording.delete}): a recording shows what a user typed.
 */
public final class RecordingRoutes implements AdminExtension {

  private final Recordings recordings;

  public RecordingRoutes(Recordings recordings) {
    this.recordings = Objects.requireNonNull(recordings);
  }

  @Override
  public void mount(Router api, Auditor auditor) {
    api.get("/recordings").handler(this::list);
    api.get("/recordings/:id").handler(ctx -> download(ctx, auditor));
    api.delete("/recordings/:id").handler(ctx -> delete(ctx, auditor));
  }

  private void list(RoutingContext ctx) {
    recordings.list(blankToNull(ctx.queryParams().get("user")), blankToNull(ctx.queryParams().get("session")))
        .onSuccess(items -> AdminExtension.json(ctx, 200, new JsonObject().put("items", new JsonArray(items))))
        .onFailure(ctx::fail);
  }

  private void download(RoutingContext ctx, Auditor auditor) {
    String id = ctx.pathParam("id");
    recordings.find(id)
        .compose(item -> auditor.recordApart(ctx, "recording.download", "recording", id, name(item), item)
            .compose(v -> recordings.file(id, true)))
        .onSuccess(file -> ctx.response().putHeader("Content-Type", Recordings.MEDIA_TYPE)
            .putHeader("Cache-Control", "no-store")
            .putHeader("Content-Disposition", "attachment; filename=\"" + id + ".cast\"")
            .sendFile(file.toString()).onFailure(ctx::fail))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx, Auditor auditor) {
    String id = ctx.pathParam("id");
    recordings.find(id)
        .compose(item -> recordings.delete(id)
            .compose(v -> auditor.recordApart(ctx, "recording.delete", "recording", id, name(item), item)))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static String name(JsonObject item) {
    return item.getString("username", "") + "@" + item.getString("host", "");
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
