package dev.outpost.hosts.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the report fields shared by {@code register} and {@code heartbeat}: {@code load}, {@code services} and
 * {@code sessions}. Absent fields read as empty; present fields of the wrong shape are a protocol error
 * ({@link IllegalArgumentException} with a message fit for a close reason).
 */
final class AgentReports {

  static final int MAX_SESSIONS = 10_000;
  static final int MAX_SERVICES = 1_000;

  private AgentReports() {
  }

  static double load(JsonObject msg) {
    Object value = msg.getValue("load");
    if (value == null) {
      return 0.0;
    }
    if (!(value instanceof Number number) || !Double.isFinite(number.doubleValue()) || number.doubleValue() < 0) {
      throw new IllegalArgumentException("'load' must be a non-negative number");
    }
    return number.doubleValue();
  }

  static Map<Integer, Boolean> services(JsonObject msg) {
    Object value = msg.getValue("services");
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject services) || services.size() > MAX_SERVICES) {
      throw new IllegalArgumentException("'services' must be an object of port: true|false");
    }
    Map<Integer, Boolean> result = new HashMap<>();
    for (String key : services.fieldNames()) {
      int port;
      try {
        port = Integer.parseInt(key);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'services' keys must be port numbers");
      }
      if (port < 1 || port > 65_535 || !(services.getValue(key) instanceof Boolean up)) {
        throw new IllegalArgumentException("'services' must map ports 1-65535 to true or false");
      }
      result.put(port, up);
    }
    return result;
  }

  static List<String> sessions(JsonObject msg) {
    Object value = msg.getValue("sessions");
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.size() > MAX_SESSIONS) {
      throw new IllegalArgumentException("'sessions' must be an array of session ids");
    }
    List<String> sessions = new ArrayList<>(array.size());
    for (Object id : array) {
      if (!(id instanceof String text) || text.isEmpty() || text.length() > 128) {
        throw new IllegalArgumentException("'sessions' must hold session ids (strings of 1-128 characters)");
      }
      sessions.add(text);
    }
    return sessions;
  }

  /** An optional short string field, or {@code fallback}. */
  static String text(JsonObject msg, String field, String fallback, int maxLength) {
    Object value = msg.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String text) || text.length() > maxLength) {
      throw new IllegalArgumentException("'" + field + "' must be a string of at most " + maxLength + " characters");
    }
    return text;
  }
}
