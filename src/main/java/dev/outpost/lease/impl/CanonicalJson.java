package dev.outpost.lease.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The canonical JSON form that leases and proofs are signed in (a subset of RFC 8785): object members sorted by
 * name (UTF-16 code units), no whitespace, strings with only the quote, the backslash and control characters
 * escaped (the two-character escapes JSON has for b, f, n, r and t, else a backslash, {@code u} and four lower-case
 * hex digits), integers in plain decimal within ±(2<sup>53</sup>−1), booleans; no floating-point numbers and no
 * {@code null}s. The same value always encodes to the same bytes, so a verifier can insist that a signed payload is
 * exactly the encoding of what it parsed.
 */
public final class CanonicalJson {

  /** Largest integer magnitude that every JSON reader keeps exact. */
  public static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  private CanonicalJson() {
  }

  /** The canonical UTF-8 bytes of {@code value}; throws {@link IllegalArgumentException} for what it cannot hold. */
  public static byte[] encode(JsonObject value) {
    StringBuilder out = new StringBuilder(256);
    write(out, value);
    return out.toString().getBytes(StandardCharsets.UTF_8);
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
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      long number = ((Number) value).longValue();
      if (Math.abs(number) > MAX_SAFE_INTEGER) {
        throw new IllegalArgumentException("integer out of the exact range: " + number);
      }
      out.append(number);
    } else if (value instanceof java.math.BigInteger big && big.bitLength() < 54) {
      write(out, big.longValue());
    } else {
      throw new IllegalArgumentException("no canonical form for "
          + (value == null ? "null" : value.getClass().getSimpleName()));
    }
  }

  private static void writeObject(StringBuilder out, Map<?, ?> map) {
    List<String> names = new ArrayList<>(map.size());
    for (Object key : map.keySet()) {
      names.add((String) key);
    }
    names.sort(null); // String.compareTo orders by UTF-16 code units, as RFC 8785 asks
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
          } else if (Character.isSurrogate(c) && !validSurrogatePair(text, i)) {
            throw new IllegalArgumentException("string holds a lone surrogate");
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static boolean validSurrogatePair(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
  }
}
