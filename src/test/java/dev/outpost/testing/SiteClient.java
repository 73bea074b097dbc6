package dev.outpost.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A blocking HTTPS client for tests that trusts only the site CA of one data dir, like a real client that
 * pinned the fingerprint.
 */
public final class SiteClient {

  /** A response with its body read as text. */
  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String contentType() {
      return headers.firstValue("Content-Type").orElse("");
    }

    /** The body of a 201 Created answer; fails the test with the body otherwise. */
    public JsonObject created() {
      if (status != 201) {
        throw new AssertionError("expected 201 Created, got " + status + ": " + body);
      }
      return json();
    }
  }

  /** A file's text, or "" while it does not exist or cannot be read (for polling). */
  public static String readOrEmpty(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private final HttpClient http;
  private final URI base;

  /** The HTTPS port this client talks to. */
  public int port() {
    return base.getPort();
  }

  public SiteClient(Path caCertificate, int port) {
    this.http = HttpClient.newBuilder().sslContext(trusting(caCertificate)).connectTimeout(Duration.ofSeconds(5))
        .build();
    this.base = URI.create("https://localhost:" + port);
  }

  public Response get(String path, String token) {
    return send("GET", path, token, null, null);
  }

  public Response post(String path, String token, String jsonBody) {
    return send("POST", path, token, jsonBody, "application/json");
  }

  public Response put(String path, String token, String jsonBody) {
    return send("PUT", path, token, jsonBody, "application/json");
  }

  public Response patch(String path, String token, String jsonBody) {
    return send("PATCH", path, token, jsonBody, "application/json");
  }

  public Response delete(String path, String token) {
    return send("DELETE", path, token, null, null);
  }

  /** Sends any request; {@code token} may be null (anonymous), {@code contentType} null for none. */
  public Response send(String method, String path, String token, String body, String contentType) {
    return send(method, path, token, body, contentType, java.util.Map.of());
  }

  public Response send(String method, String path, String token, String body, String contentType,
      java.util.Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    headers.forEach(request::header);
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Signs in and returns the bearer token; fails the test on anything but 200. */
  public String login(String username, String password) {
    Response response = post("/api/v1/login", null,
        new JsonObject().put("username", username).put("password", password).encode());
    if (response.status() != 200) {
      throw new AssertionError("sign-in as " + username + " failed: " + response.status() + " " + response.body());
    }
    return response.json().getString("token");
  }

  /**
   * The value of one series of {@code GET /metrics}, named as Prometheus prints it (e.g.
   * {@code outpost_logins_total{result="failure"}}); fails the test when the node does not print it, so that a
   * misspelt name cannot pass for a zero.
   */
  public double metric(String series) {
    return get("/metrics", null).body().lines().filter(line -> line.startsWith(series + " "))
        .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim())).findFirst()
        .orElseThrow(() -> new AssertionError("the node prints no metric " + series));
  }

  /** A TLS context that trusts only this site CA. */
  public static SSLContext trusting(Path caCertificate) {
    try (InputStream in = Files.newInputStream(caCertificate)) {
      X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("site-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (Exception e) {
      throw new IllegalStateException("cannot trust the site CA " + caCertificate, e);
    }
  }
}
