package dev.outpost.admin.cli;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.http.Tls;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The admin CLI's view of one appliance: its URL, the CA fingerprint it is trusted by (pinned like an ssh host
 * key) and the bearer token from {@code login}, kept owner-only in {@code <home>/session.json}.
 */
public final class AdminConnection {

  public static final String ADMIN_API = "/admin/api/v1";
  static final String SESSION_FILE = "session.json";

  /** What {@code login} stores. */
  public record Session(String url, String caSha256, String user, String token) {
    JsonObject toJson() {
      return new JsonObject().put("url", url).put("caSha256", caSha256).put("user", user).put("token", token);
    }
  }

  /** An answer: status and body text. */
  public record Answer(int status, String body) {
  }

  private final URI url;
  private final String caSha256;
  private final String token;
  private final HttpClient http;

  public AdminConnection(URI url, String caSha256, String token) {
    this.url = Objects.requireNonNull(url);
    this.caSha256 = Fingerprints.normalize(caSha256);
    this.token = token;
    this.http = HttpClient.newBuilder().sslContext(PinnedCaTrust.of(this.caSha256).sslContext())
        .sslParameters(Tls.jdkParameters()).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The stored session, or null. */
  public static Session load(Path home) {
    Path file = home.resolve(SESSION_FILE);
    if (!Files.exists(file)) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      return new Session(json.getString("url"), json.getString("caSha256"), json.getString("user"),
          json.getString("token"));
    } catch (IOException | RuntimeException e) {
      throw new AdminCliException(1, "cannot read " + file + " (" + e.getMessage() + "); log in again");
    }
  }

  public static void save(Path home, Session session) {
    try {
      SecureFiles.createPrivateDirectories(home);
      SecureFiles.writePrivate(home.resolve(SESSION_FILE), session.toJson().encodePrettily());
    } catch (IOException e) {
      throw new AdminCliException(1, "cannot store the session in " + home + ": " + e.getMessage());
    }
  }

  /**
   * The CA the server at {@code url} presents, for a person to confirm at first contact; fails when it cannot
   * be reached.
   */
  public static String discoverCa(URI url) {
    PinnedCaTrust discovering = PinnedCaTrust.discovering();
    HttpClient probe = HttpClient.newBuilder().sslContext(discovering.sslContext()).sslParameters(Tls.jdkParameters())
        .connectTimeout(Duration.ofSeconds(5)).build();
    try {
      probe.send(HttpRequest.newBuilder(url.resolve("/health/live")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      if (discovering.presentedCa() != null) {
        return Fingerprints.sha256(discovering.presentedCa());
      }
      throw unreachable(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AdminCliException(1, "the appliance at " + url + " presented no CA certificate; pass --ca-sha256");
  }

  /** Sends a request; {@code path} is relative to the admin API unless it starts with /admin/ or /api/. */
  public Answer send(String method, String path, String jsonBody) {
    return send(method, path, jsonBody, Duration.ofSeconds(30));
  }

  /** Like {@link #send(String, String, String)}, waiting up to {@code timeout} for the answer. */
  public Answer send(String method, String path, String jsonBody, Duration timeout) {
    HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(resolve(path))).timeout(timeout)
        .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(jsonBody));
    if (jsonBody != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    } catch (IOException e) {
      throw unreachable(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminCliException(1, "interrupted");
    }
  }

  static String resolve(String path) {
    String p = path.strip();
    if (p.startsWith("/admin/") || p.startsWith("/api/")) {
      return p;
    }
    return ADMIN_API + "/" + p.replaceFirst("^/+", "");
  }

  private static AdminCliException unreachable(URI url, IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PinnedCaTrust.CaMismatchException mismatch) {
        return new AdminCliException(1, "the appliance at " + url + " presents CA sha256 "
            + (mismatch.presented() == null ? "(none)" : Fingerprints.display(mismatch.presented()))
            + ", not the one trusted for it; if the site was rebuilt, check the new fingerprint and pass "
            + "--ca-sha256");
      }
    }
    String reason = e instanceof ConnectException ? "connection refused or unreachable" : rootMessage(e);
    return new AdminCliException(1, "cannot reach " + url + ": " + reason);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
