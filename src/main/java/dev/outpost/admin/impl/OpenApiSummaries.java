package dev.outpost.admin.impl;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The summaries of the site-model collections' operations in the OpenAPI document, made from each collection's
 * entity name as {@link CrudRoutes} serves it, so that every collection reads right ("Create an entitlement", "List
 * directories") and a new one needs none written by hand. A summary the document has already is kept.
 */
public final class OpenApiSummaries {

  private OpenApiSummaries() {
  }

  /** Fills in the missing summaries of {@code stores}' operations in {@code document}, in place; returns it. */
  public static JsonObject fill(JsonObject document, List<EntityStore> stores) {
    JsonObject paths = document.getJsonObject("paths", new JsonObject());
    for (EntityStore store : stores) {
      String type = store.type();
      String anEntity = Nouns.withArticle(type);
      boolean named = "idOrName".equals(store.keyParam());
      put(paths, "/" + store.collection(), "get", "List " + Nouns.plural(type) + (named ? " ordered by name" : ""));
      put(paths, "/" + store.collection(), "post", "Create " + anEntity);
      String one = "/" + store.collection() + "/{" + store.keyParam() + "}";
      put(paths, one, "get", "Read one " + type);
      put(paths, one, "put", "Change some fields of " + anEntity + " (only the fields sent change)");
      put(paths, one, "delete", "Delete " + anEntity);
    }
    return document;
  }

  private static void put(JsonObject paths, String path, String method, String summary) {
    JsonObject operation = paths.getJsonObject(path, new JsonObject()).getJsonObject(method);
    if (operation != null && !operation.containsKey("summary")) {
      operation.put("summary", summary);
    }
  }
}
