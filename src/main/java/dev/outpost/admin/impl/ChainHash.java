package dev.outpost.admin.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How an audit entry is bound into the chain: {@code hash = SHA-256(prev_hash || SHA-256(content))}, where the first
 * entry's {@code prev_hash} is {@link #GENESIS} and {@code content} is {@value #CONTEXT} followed by the entry's
 * canonical JSON: the members {@code action, actor, at, detail, entryId, node, requestId, targetId, targetName,
 * targetType}, names sorted, no whitespace, strings with only the quote, the backslash and control characters
 * escaped, numbers in plain decimal without trailing zeros ({@code 1.0} is {@code 1}), {@code at} in ISO-8601 UTC with
 * at most microseconds. The form survives a round trip through PostgreSQL's {@code jsonb}, so that the hash of a row
 * read back equals the hash of the entry written.
 */
public final class ChainHash {

  /** The hash before the first entry. */
  public static final byte[] GENESIS = new byte[32];
  /** What the canonical JSON of an entry is prefixed with, so that its hash means nothing else. */
  static final String CONTEXT = "outpost-audit-entry/v1\n";

  private ChainHash() {
  }

  /** SHA-256 of the entry's content (what the database links to the hash before it). */
  public static byte[] content(AuditLog.Entry entry) {
    return sha256((CONTEXT + canonical(entry)).getBytes(StandardCharsets.UTF_8));
  }

  /** The hash of an entry whose content hash is {@code content}, after the entry whose hash is {@code previous}. */
  public static byte[] link(byte[] previous, byte[] content) {
    MessageDigest digest = digest();
    digest.update(previous);
    digest.update(content);
    return digest.digest();
  }

  /** The canonical JSON of an entry; its {@code detail} as it reads back from {@code jsonb}. */
  public static String canonical(AuditLog.Entry entry) {
    JsonObject form = new JsonObject()
        .put("action", text(entry.action()))
        .put("actor", text(entry.actor()))
        .put("at", entry.at().toString())
        .put("detail", entry.detail() == null ? new JsonObject() : new JsonObject(entry.detail().encode()))
        .put("entryId", entry.id().toString())
        .put("node", text(entry.node()))
        .put("requestId", text(entry.requestId()))
        .put("targetId", text(entry.targetId()))
        .put("targetName", text(entry.targetName()))
        .put("targetType", text(entry.targetType()));
    StringBuilder out = new StringBuilder(256);
    write(out, form);
    return out.toString();
  }

  private static String text(String value) {
    return value == null ? "" : value;
  }

  private static void write(StringBuilder out, Object value) {
    if (value instanceof JsonObject object) {
      writeObject(out, object.getMap());
    } else if (value instanceof Map<?, ?> map) {
      writeObject(out, map);
    } else if (value instanceof JsonArray array) {
      writeArray(out, array.getList());
    } else if (value instanceof List<?> list) {
      writeArray(out, list);
    } else if (value instanceof String text) {
      writeString(out, text);
    } else if (value instanceof Boolean flag) {
      out.append(flag ? "true" : "false");
    } else if (value == null) {
      out.append("null");
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
        || value instanceof BigInteger) {
      out.append(value);
    } else if (value instanceof Number number) {
      out.append(decimal(number));
    } else {
      // what JSON text cannot carry was made a string by the encoder (Instant, byte[]): as read back
      writeString(out, String.valueOf(value));
    }
  }

  /** A non-integer number in plain decimal without trailing zeros: 1.50 and 1.5 and 15e-1 are all {@code 1.5}. */
  private static String decimal(Number number) {
    BigDecimal exact = number instanceof BigDecimal big ? big : new BigDecimal(number.toString());
    BigDecimal stripped = exact.stripTrailingZeros();
    return stripped.signum() == 0 ? "0" : stripped.toPlainString();
  }

  private static void writeObject(StringBuilder out, Map<?, ?> map) {
    List<String> names = new ArrayList<>(map.size());
    for (Object key : map.keySet()) {
      names.add((String) key);
    }
    names.sort(null);
    out.append('{');
    boolean first = true;
    for (String name : names) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(out, name);
      out.append(':');
      write(out, map.get(name));
    }
    out.append('}');
  }

  private static void writeArray(StringBuilder out, List<?> list) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(out, list.get(i));
    }
    out.append(']');
  }

  private static void writeString(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  static byte[] sha256(byte[] input) {
    return digest().digest(input);
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
