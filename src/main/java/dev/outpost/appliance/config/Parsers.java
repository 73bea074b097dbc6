package dev.outpost.appliance.config;

import dev.outpost.http.OutboundProxy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for configuration values; each failure message completes "'value' (from source) ...". */
final class Parsers {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9a-fA-F:]+\\])(?::(\\d{1,5}))?");
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private Parsers() {
  }

  static ConfigKey.Parser<Integer> port(boolean allowZero) {
    return raw -> {
      int value = integer(raw, "a port number");
      if (value < (allowZero ? 0 : 1) || value > 65535) {
        throw new IllegalArgumentException("is not a port number: use " + (allowZero ? "0 (any free port)" : "1")
            + " to 65535");
      }
      return value;
    };
  }

  static ConfigKey.Parser<Integer> intRange(int min, int max) {
    return raw -> {
      int value = integer(raw, "a whole number");
      if (value < min || value > max) {
        throw new IllegalArgumentException("is out of range: use a whole number from " + min + " to " + max);
      }
      return value;
    };
  }

  private static int integer(String raw, String what) {
    try {
      return Integer.parseInt(raw);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("is not " + what);
    }
  }

  static ConfigKey.Parser<Boolean> bool() {
    return raw -> switch (raw.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException("is not a boolean: use true or false");
    };
  }

  static ConfigKey.Parser<String> oneOf(String... allowed) {
    Set<String> set = Set.of(allowed);
    return raw -> {
      String value = raw.toLowerCase(Locale.ROOT);
      if (!set.contains(value)) {
        throw new IllegalArgumentException("is not allowed: use one of " + String.join(", ", allowed));
      }
      return value;
    };
  }

  static ConfigKey.Parser<String> text() {
    return raw -> raw;
  }

  /** Empty, or a secret of at least {@code minLength} characters. */
  static ConfigKey.Parser<String> optionalSecret(int minLength) {
    return raw -> {
      if (!raw.isEmpty() && raw.length() < minLength) {
        throw new IllegalArgumentException("is shorter than " + minLength + " characters: use a long random value "
            + "(e.g. openssl rand -hex 32), the same on every node");
      }
      return raw;
    };
  }

  /** Empty, or a bearer token: at least {@code minLength} visible ASCII characters, no spaces. */
  static ConfigKey.Parser<String> optionalBearerToken(int minLength) {
    return raw -> {
      if (raw.isEmpty()) {
        return raw;
      }
      if (!raw.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new IllegalArgumentException("must be visible ASCII characters without spaces (it is sent in an HTTP "
            + "header): use a random value, e.g. openssl rand -hex 32");
      }
      if (raw.length() < minLength) {
        throw new IllegalArgumentException("is shorter than " + minLength + " characters: use a long random value "
            + "(e.g. openssl rand -hex 32)");
      }
      return raw;
    };
  }

  static ConfigKey.Parser<String> name() {
    return raw -> {
      if (!NAME.matcher(raw).matches()) {
        throw new IllegalArgumentException("is not a valid name: use lower-case letters, digits and '-', "
            + "starting with a letter or digit, at most 63 characters");
      }
      return raw;
    };
  }

  static ConfigKey.Parser<Path> path() {
    return raw -> {
      try {
        return Path.of(raw);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("is not a valid file path");
      }
    };
  }

  static ConfigKey.Parser<Path> optionalPath() {
    return raw -> raw.isEmpty() ? null : path().parse(raw);
  }

  static ConfigKey.Parser<Duration> duration(Duration min, Duration max) {
    return raw -> {
      Matcher m = DURATION.matcher(raw.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new IllegalArgumentException("is not a duration: use a number with a unit, e.g. 500ms, 10s, 5m, 8h, 7d");
      }
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            "is out of range: use a duration from " + format(min) + " to " + format(max));
      }
      return d;
    };
  }

  private static String format(Duration d) {
    if (d.toMillis() % 86_400_000 == 0) {
      return d.toDays() + "d";
    }
    if (d.toMillis() % 3_600_000 == 0) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + "m";
    }
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** A comma-separated list of host[:port] members; an empty value is an empty list. */
  static ConfigKey.Parser<List<String>> hostPortList(int defaultPort) {
    return raw -> {
      List<String> members = new ArrayList<>();
      for (String part : raw.split(",")) {
        String member = part.trim();
        if (member.isEmpty()) {
          continue;
        }
        Matcher m = HOST_PORT.matcher(member);
        if (!m.matches()) {
          throw new IllegalArgumentException("is not a list of host:port members, e.g. 10.0.0.11:5701,10.0.0.12:5701");
        }
        int port = m.group(2) == null ? defaultPort : Integer.parseInt(m.group(2));
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException("has a member with a port outside 1-65535: " + member);
        }
        members.add(m.group(1) + ":" + port);
      }
      return List.copyOf(members);
    };
  }

  static ConfigKey.Parser<List<String>> nameList() {
    return raw -> {
      List<String> names = new ArrayList<>();
      for (String part : raw.split(",")) {
        if (!part.isBlank()) {
          names.add(part.trim());
        }
      }
      return List.copyOf(names);
    };
  }

  /** An https URL, or empty for none. */
  static ConfigKey.Parser<URI> optionalHttpsUrl() {
    return raw -> {
      if (raw.isEmpty()) {
        return null;
      }
      try {
        URI uri = URI.create(raw);
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new IllegalArgumentException("is not an https URL: use e.g. https://hub.example.com:9443");
        }
        return uri;
      } catch (IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("is not")) {
          throw e;
        }
        throw new IllegalArgumentException("is not a valid URL: use e.g. https://hub.example.com:9443");
      }
    };
  }

  /** A proxy URL as {@link OutboundProxy#of} reads it, {@value OutboundProxy#DIRECT}, or empty. */
  static ConfigKey.Parser<String> proxyUrl() {
    return raw -> {
      OutboundProxy.of(raw, List.of());
      return raw;
    };
  }

  /** {@code NO_PROXY} entries. */
  static ConfigKey.Parser<List<String>> bypassList() {
    return OutboundProxy::parseBypass;
  }

  /** A PostgreSQL URL in the form postgresql://user:password@host:port/database, or empty for embedded. */
  static ConfigKey.Parser<String> optionalPostgresUrl() {
    return raw -> {
      if (raw.isEmpty()) {
        return null;
      }
      String normalized = raw.startsWith("jdbc:") ? raw.substring(5) : raw;
      if (!(normalized.startsWith("postgresql://") || normalized.startsWith("postgres://"))) {
        throw new IllegalArgumentException(
            "is not a PostgreSQL URL: use postgresql://USER:PASSWORD@HOST:PORT/DATABASE, or leave it empty for the "
                + "embedded database");
      }
      try {
        URI uri = URI.create(normalized);
        if (uri.getHost() == null) {
          throw new IllegalArgumentException("has no host: use postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("is not a valid URL: use postgresql://USER:PASSWORD@HOST:PORT/DATABASE");
      }
      return normalized;
    };
  }
}
