package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The fields a request body may carry, checked for a create (all required fields) or a partial update. */
public final class Schema {

  /** What audit details show instead of a secret value. */
  public static final String SECRET_MASK = "(changed)";

  private final Map<String, FieldSpec> fields = new LinkedHashMap<>();

  private Schema(FieldSpec... specs) {
    Arrays.stream(specs).forEach(spec -> fields.put(spec.name(), spec));
  }

  public static Schema of(FieldSpec... specs) {
    return new Schema(specs);
  }

  /** The checked body for a create: every required field present, defaults filled in for absent ones. */
  public JsonObject forCreate(JsonObject body) {
    rejectUnknown(body);
    JsonObject checked = new JsonObject();
    for (FieldSpec spec : fields.values()) {
      if (body.containsKey(spec.name())) {
        checked.put(spec.name(), spec.check(body.getValue(spec.name())));
      } else if (spec.isRequired()) {
        throw ClientErrorException.validation("field '" + spec.name() + "' is required");
      } else if (spec.defaultValue() != null) {
        checked.put(spec.name(), spec.check(null));
      }
    }
    return checked;
  }

  /** The checked body for a partial update: only the fields sent, each checked like on create. */
  public JsonObject forUpdate(JsonObject body) {
    rejectUnknown(body);
    JsonObject checked = new JsonObject();
    for (FieldSpec spec : fields.values()) {
      if (body.containsKey(spec.name())) {
        checked.put(spec.name(), spec.check(body.getValue(spec.name())));
      }
    }
    return checked;
  }

  /** A copy safe to store or log: secret fields replaced by {@link #SECRET_MASK}. */
  public JsonObject masked(JsonObject checked) {
    JsonObject copy = checked.copy();
    fields.values().stream().filter(FieldSpec::isSecret).map(FieldSpec::name).filter(copy::containsKey)
        .forEach(name -> copy.put(name, SECRET_MASK));
    return copy;
  }

  private void rejectUnknown(JsonObject body) {
    for (String name : body.fieldNames()) {
      if (!fields.containsKey(name)) {
        String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        throw ClientErrorException.validation("unknown field '" + shown + "'; allowed fields: "
            + String.join(", ", fields.keySet()));
      }
    }
  }
}
