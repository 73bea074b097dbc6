package dev.outpost.http;

import dev.outpost.crypto.PinnedCaTrust;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One JSON POST over TLS to a server trusted only through a pinned CA fingerprint, through the outbound proxy
 * when one applies: how agents and appliances enroll. Blocking: call it before the event loop runs or from a
 * worker, never on an event loop.
 */
public final class PinnedJsonPost {

  /** The status and body of the answer. */
  public record Answer(int status, String body) {
  }

  private final Vertx vertx;
  private final OutboundProxy proxy;
  private final Duration timeout;

  public PinnedJsonPost(Vertx vertx, OutboundProxy proxy, Duration timeout) {
    this.vertx = Objects.requireNonNull(vertx);
    this.proxy = Objects.requireNonNull(proxy);
    this.timeout = Objects.requireNonNull(timeout);
  }

  /**
   * Posts {@code json} to {@code url}.
   *
   * @throws IOException when no answer came: the cause chain holds what failed (a
   *     {@link PinnedCaTrust.CaMismatchException} for a server with another CA); an
   *     {@link HttpTimeoutException} when the server did not answer in time; a {@link ProxyRefusedException}
   *     when the proxy did not open the tunnel
   */
  public Answer send(URI url, PinnedCaTrust trust, String json) throws IOException {
    HttpClientOptions options = Tls.restrict(new HttpClientOptions())
        .setSsl(true)
        .setVerifyHost(true)
        .setTrustOptions(TrustOptions.wrap(trust))
        .setConnectTimeout((int) Math.min(timeout.toMillis(), 10_000));
    int port = url.getPort() > 0 ? url.getPort() : 443;
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(url.getHost())
        .setPort(port)
        .setSsl(true)
        .setURI(url.getRawPath())
        .putHeader("Content-Type", "application/json")
        .setTimeout(timeout.toMillis());
    proxy.forTarget(url.getHost()).ifPresent(request::setProxyOptions);
    HttpClientAgent client = vertx.createHttpClient(options);
    Future<Answer> answer = client.request(request)
        .compose(sent -> sent.send(json))
        .compose(this::read)
        .eventually(client::close);
    try {
      return answer.toCompletionStage().toCompletableFuture().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw failure(e.getCause(), url.getHost(), port);
    } catch (TimeoutException e) {
      throw new HttpTimeoutException("no answer from " + url + " within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + url, e);
    }
  }

  private Future<Answer> read(HttpClientResponse response) {
    return response.body().map(body -> new Answer(response.statusCode(), body.toString()));
  }

  private IOException failure(Throwable cause, String host, int port) {
    String explained = proxy.explain(cause, host, port).orElse(null);
    if (explained != null) {
      return new ProxyRefusedException(explained, cause);
    }
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
      HttpTimeoutException timedOut = new HttpTimeoutException("no answer within " + timeout.toSeconds() + " s");
      timedOut.initCause(cause);
      return timedOut;
    }
    return new IOException(cause.getMessage(), cause);
  }

  /** The outbound proxy did not open the tunnel; the message says why in words for the operator. */
  public static final class ProxyRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    ProxyRefusedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
