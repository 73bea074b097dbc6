package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One field of a request body: its JSON type, whether it is required, and the values it may take. Immutable;
 * the {@code with*} methods return adjusted copies so that a schema reads as one declaration per field.
 *
 * @param defaultValue used on create when the field is absent, and when an optional field is sent as null;
 *     {@code null} means the field has no default and must not be null
 * @param isSecret never echoed: audit details show {@code "(changed)"} instead of the value; like free text, it
 *     may hold any character but NUL
 * @param isFreeText may hold line breaks, tabs and other control characters (a description, a PEM certificate);
 *     other text fields are single-line names and settings and refuse them
 */
public record FieldSpec(String name, Type type, boolean isRequired, Object defaultValue, Pattern pattern,
    int minLength, int maxLength, long min, long max, List<String> allowed, int minItems, int maxItems,
    boolean isSecret, boolean isFreeText) {

  /** The JSON types a field may have, with the wording used in error details. */
  public enum Type {
    TEXT("a string"), INTEGER("an integer"), BOOLEAN("a boolean (true or false)"), TEXT_LIST("an array of strings");

    private final String description;

    Type(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  public FieldSpec {
    Objects.requireNonNull(name);
    Objects.requireNonNull(type);
    allowed = List.copyOf(allowed);
  }

  /** A string of {@code minLength..maxLength} characters. */
  public static FieldSpec text(String name, int minLength, int maxLength) {
    return new FieldSpec(name, Type.TEXT, false, null, null, minLength, maxLength, 0, 0, List.of(), 0, 0, false, false);
  }

  /** An integer within {@code min..max}. */
  public static FieldSpec integer(String name, long min, long max) {
    return new FieldSpec(name, Type.INTEGER, false, null, null, 0, 0, min, max, List.of(), 0, 0, false, false);
  }

  public static FieldSpec bool(String name) {
    return new FieldSpec(name, Type.BOOLEAN, false, null, null, 0, 0, 0, 0, List.of(), 0, 0, false, false);
  }

  /** An array of {@code minItems..maxItems} strings, each checked like a text field; duplicates are dropped. */
  public static FieldSpec textList(String name, int minItems, int maxItems, int maxLength) {
    return new FieldSpec(name, Type.TEXT_LIST, false, null, null, 1, maxLength, 0, 0, List.of(), minItems, maxItems,
        false, false);
  }

  public FieldSpec required() {
    return new FieldSpec(name, type, true, defaultValue, pattern, minLength, maxLength, min, max, allowed, minItems,
        maxItems, isSecret, isFreeText);
  }

  public FieldSpec withDefault(Object value) {
    return new FieldSpec(name, type, isRequired, value, pattern, minLength, maxLength, min, max, allowed, minItems,
        maxItems, isSecret, isFreeText);
  }

  public FieldSpec matching(String regex) {
    return new FieldSpec(name, type, isRequired, defaultValue, Pattern.compile(regex), minLength, maxLength, min, max,
        allowed, minItems, maxItems, isSecret, isFreeText);
  }

  public FieldSpec oneOf(String... values) {
    return new FieldSpec(name, type, isRequired, defaultValue, pattern, minLength, maxLength, min, max, List.of(values),
        minItems, maxItems, isSecret, isFreeText);
  }

  public FieldSpec secret() {
    return new FieldSpec(name, type, isRequired, defaultValue, pattern, minLength, maxLength, min, max, allowed,
        minItems, maxItems, true, isFreeText);
  }

  /** A text that may span lines (a description, a PEM certificate): control characters are allowed in it. */
  public FieldSpec freeText() {
    return new FieldSpec(name, type, isRequired, defaultValue, pattern, minLength, maxLength, min, max, allowed,
        minItems, maxItems, isSecret, true);
  }

  /**
   * The value to store for what the client sent (which may be JSON null).
   *
   * @throws ClientErrorException 400 naming the field and what it must be
   */
  public Object check(Object value) {
    if (value == null) {
      if (isRequired || defaultValue == null) {
        throw invalid("must not be null; send " + type.description());
      }
      return defaultValue instanceof JsonArray array ? array.copy() : defaultValue;
    }
    return switch (type) {
      case TEXT -> checkText(value, "");
      case INTEGER -> checkInteger(value);
      case BOOLEAN -> checkBoolean(value);
      case TEXT_LIST -> checkList(value);
    };
  }

  private String checkText(Object value, String item) {
    if (!(value instanceof String text)) {
      throw invalid(item + "must be " + Type.TEXT.description() + ", not " + jsonType(value));
    }
    if (text.length() < minLength || text.length() > maxLength) {
      throw invalid(item + "must be " + minLength + " to " + maxLength + " characters long (was " + text.length()
          + ")");
    }
    if (!allowed.isEmpty() && !allowed.contains(text)) {
      throw invalid(item + "must be one of " + String.join(", ", allowed));
    }
    if (!isFreeText && !isSecret && JsonBodies.hasControlCharacter(text)) {
      throw invalid(item + "must not contain control characters (such as line breaks, tabs or terminal escapes)");
    }
    if (pattern != null && !pattern.matcher(text).matches()) {
      throw invalid(item + "must match " + pattern.pattern());
    }
    return text;
  }

  private Integer checkInteger(Object value) {
    BigInteger number;
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      number = BigInteger.valueOf(((Number) value).longValue());
    } else if (value instanceof BigInteger big) {
      number = big;
    } else {
      throw invalid("must be " + Type.INTEGER.description() + ", not " + jsonType(value));
    }
    if (number.compareTo(BigInteger.valueOf(min)) < 0 || number.compareTo(BigInteger.valueOf(max)) > 0) {
      throw invalid("must be between " + min + " and " + max);
    }
    return number.intValueExact();
  }

  private Boolean checkBoolean(Object value) {
    if (!(value instanceof Boolean flag)) {
      throw invalid("must be " + Type.BOOLEAN.description() + ", not " + jsonType(value));
    }
    return flag;
  }

  private JsonArray checkList(Object value) {
    if (!(value instanceof JsonArray array)) {
      throw invalid("must be " + Type.TEXT_LIST.description() + ", not " + jsonType(value));
    }
    if (array.size() < minItems || array.size() > maxItems) {
      throw invalid("must have " + minItems + " to " + maxItems + " items (had " + array.size() + ")");
    }
    Map<String, String> unique = new LinkedHashMap<>();
    for (int i = 0; i < array.size(); i++) {
      String item = checkText(array.getValue(i), "item " + i + " ");
      unique.putIfAbsent(item.toLowerCase(Locale.ROOT), item);
    }
    return new JsonArray(List.copyOf(unique.values()));
  }

  private ClientErrorException invalid(String problem) {
    return ClientErrorException.validation("field '" + name + "' " + problem);
  }

  static String jsonType(Object value) {
    if (value instanceof String) {
      return "a string";
    } else if (value instanceof Boolean) {
      return "a boolean";
    } else if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
      return "a number";
    } else if (value instanceof Number) {
      return "a number with a fraction";
    } else if (value instanceof JsonArray) {
      return "an array";
    } else if (value instanceof JsonObject) {
      return "an object";
    }
    return "a " + value.getClass().getSimpleName();
  }
}
