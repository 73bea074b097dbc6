package dev.outpost.http;

import dev.outpost.error.Failures;
import io.netty.handler.proxy.ProxyConnectException;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP CONNECT proxy that Outpost's outbound links go through (appliance to hub, agent to appliance), with
 * optional basic credentials, and the hosts reached directly instead ({@code NO_PROXY} rules). The tunnel
 * carries TLS end to end: the proxy sees only the target's host and port.
 *
 * <p>Never prints its credentials: {@link #toString()} and {@link #describe()} leave them out.
 *
 * @param host the proxy's host, or {@code null} for direct connections
 * @param bypass {@code NO_PROXY} entries: {@code *}, a host name or address, or a domain suffix
 *     ({@code example.com} and {@code .example.com} both match {@code a.example.com})
 */
public record OutboundProxy(String host, int port, String username, String password, List<String> bypass) {

  /** The {@code proxy.url} value that turns the proxy off even when {@code HTTPS_PROXY} is set. */
  public static final String DIRECT = "direct";
  /** The standard variables honoured when no proxy is configured, upper case first. */
  public static final List<String> PROXY_VARIABLES = List.of("HTTPS_PROXY", "https_proxy");
  public static final List<String> NO_PROXY_VARIABLES = List.of("NO_PROXY", "no_proxy");

  private static final String USAGE = "use http://[USER:PASSWORD@]HOST:PORT, '" + DIRECT + "', or leave it empty";

  public OutboundProxy {
    bypass = List.copyOf(bypass);
  }

  /** No proxy: every link connects directly. */
  public static OutboundProxy direct() {
    return new OutboundProxy(null, 0, null, null, List.of());
  }

  /**
   * A proxy from a URL ({@code http://[USER[:PASSWORD]@]HOST[:PORT]}, port 80 when left out; a bare
   * {@code HOST:PORT} is read as http), or {@link #direct()} for an empty value or {@value #DIRECT}.
   *
   * @throws IllegalArgumentException saying what is wrong with the URL (never echoing it)
   */
  public static OutboundProxy of(String url, List<String> bypass) {
    String text = url == null ? "" : url.strip();
    if (text.isEmpty() || DIRECT.equalsIgnoreCase(text)) {
      return direct();
    }
    URI uri;
    try {
      uri = URI.create(text.contains("://") ? text : "http://" + text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("is not a proxy URL: " + USAGE);
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme)) {
      throw new IllegalArgumentException("is not an http:// proxy URL (" + scheme + ":// is not supported; the links "
          + "inside the CONNECT tunnel are TLS end to end): " + USAGE);
    }
    if (uri.getHost() == null
        || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !"/".equals(uri.getRawPath()))
        || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("is not a proxy URL with a host and nothing after the port: " + USAGE);
    }
    String user = null;
    String secret = null;
    if (uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      secret = colon < 0 ? "" : decode(info.substring(colon + 1));
    }
    String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
        : uri.getHost();
    return new OutboundProxy(host, uri.getPort() > 0 ? uri.getPort() : 80, user, secret, bypass);
  }

  /**
   * The proxy the standard environment names: {@code HTTPS_PROXY} (or {@code https_proxy}) and
   * {@code NO_PROXY} (or {@code no_proxy}); direct when none is set.
   *
   * @throws IllegalArgumentException when the variable holds something that is not a proxy URL
   */
  public static OutboundProxy fromEnvironment(Map<String, String> env) {
    return of(firstSet(env, PROXY_VARIABLES), parseBypass(firstSet(env, NO_PROXY_VARIABLES)));
  }

  /** The value of the first of {@code names} that is set and not blank, or "". */
  public static String firstSet(Map<String, String> env, List<String> names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value.strip();
      }
    }
    return "";
  }

  /** {@code NO_PROXY} syntax: entries separated by commas or white space. */
  public static List<String> parseBypass(String text) {
    List<String> entries = new ArrayList<>();
    if (text != null) {
      for (String part : text.split("[,\\s]+")) {
        if (!part.isBlank()) {
          entries.add(part.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    return List.copyOf(entries);
  }

  /** Whether any link goes through a proxy at all. */
  public boolean enabled() {
    return host != null;
  }

  /**
   * The proxy settings for a link to {@code targetHost}, or empty when it connects directly (no proxy, or a
   * {@code NO_PROXY} entry matches).
   */
  public Optional<ProxyOptions> forTarget(String targetHost) {
    if (!enabled() || bypasses(targetHost)) {
      return Optional.empty();
    }
    ProxyOptions options = new ProxyOptions().setType(ProxyType.HTTP).setHost(host).setPort(port);
    if (username != null) {
      options.setUsername(username).setPassword(password);
    }
    return Optional.of(options);
  }

  /** Whether {@code targetHost} is reached directly because of a {@code NO_PROXY} entry. */
  public boolean bypasses(String targetHost) {
    String target = unbracket(targetHost.toLowerCase(Locale.ROOT));
    for (String entry : bypass) {
      if ("*".equals(entry)) {
        return true;
      }
      String rule = unbracket(stripPort(entry));
      String suffix = rule.startsWith(".") ? rule : "." + rule;
      if (!rule.isEmpty() && (target.equals(rule.startsWith(".") ? rule.substring(1) : rule)
          || target.endsWith(suffix))) {
        return true;
      }
    }
    return false;
  }

  /** The proxy as people may see it: its address, whether it has credentials, never what they are. */
  public String describe() {
    if (!enabled()) {
      return DIRECT;
    }
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port
        + (username == null ? "" : " (with credentials)")
        + (bypass.isEmpty() ? "" : ", not for " + String.join(",", bypass));
  }

  @Override
  public String toString() {
    return describe();
  }

  /**
   * A sentence about a failed link to {@code targetHost}:{@code targetPort} through this proxy, or empty when
   * the link did not use the proxy or the failure has nothing to do with it.
   */
  public Optional<String> explain(Throwable failure, String targetHost, int targetPort) {
    if (forTarget(targetHost).isEmpty()) {
      return Optional.empty();
    }
    String target = targetHost + ":" + targetPort;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ProxyConnectException refused) {
        String status = refused.getMessage() == null ? "" : refused.getMessage().replaceFirst("(?s)^.*status: ", "");
        boolean auth = status.startsWith("407");
        return Optional.of("the proxy " + address() + " refused the tunnel to " + target + " (" + status.strip() + ")"
            + (auth ? "; check the user and password in the proxy URL" : ""));
      }
      if (t instanceof ConnectException) {
        return Optional.of("cannot reach the proxy " + address() + ": " + Failures.rootMessage(t));
      }
    }
    return Optional.empty();
  }

  private String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String unbracket(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static String stripPort(String entry) {
    if (entry.startsWith("[")) {
      int end = entry.indexOf(']');
      return end < 0 ? entry : entry.substring(0, end + 1);
    }
    int colon = entry.indexOf(':');
    // more than one colon: an IPv6 address without brackets, which has no port
    return colon < 0 || entry.indexOf(':', colon + 1) >= 0 ? entry : entry.substring(0, colon);
  }
}
