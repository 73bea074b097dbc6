package dev.outpost.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests that cannot be parsed as HTTP/1.x (oversized request line or headers, a malformed request line
 * or header, an unknown HTTP version) with problem+json and the security headers, like every other error of
 * Outpost, instead of Vert.x's bare status line. Vert.x closes the connection after the answer: the rest of the
 * stream cannot be trusted to be framed. The answer never echoes the request, which may be huge or hostile.
 */
final class FramingRefusals implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(FramingRefusals.class);

  /** A request line with an HTTP version other than 1.0 or 1.1 (see {@link HeaderDeadline}). */
  static final class UnsupportedVersionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnsupportedVersionException(String version) {
      super("unsupported HTTP version " + version);
    }
  }

  /**
   * Answers a request whose body framing broke (a bad chunk) and closes the connection. Vert.x would fail the
   * request and close the connection before any answer could be flushed; this writes the problem into the
   * connection's pipeline itself, through the HTTP encoder, and closes once it is sent.
   */
  static void malformedBody(ChannelPipeline pipeline, Throwable decoderFailure) {
    LOG.debug("Refused a request body from {} that is not valid HTTP/1.1 framing: {}", pipeline.channel()
        .remoteAddress(), decoderFailure.getMessage());
    String detail = "the request body is not valid HTTP/1.1 framing (" + (decoderFailure instanceof
        NumberFormatException ? "a chunk size is not a hexadecimal number" : "a chunk or its line end is malformed")
        + ")";
    byte[] body = Problems.body(400, "bad-request", detail, null).encode().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
        Unpooled.wrappedBuffer(body));
    SecurityHeaders.HEADERS.forEach(response.headers()::set);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, Problems.CONTENT_TYPE)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set(HttpHeaderNames.CONNECTION, "close")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    pipeline.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void handle(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    HttpServerResponse response = request.response();
    LOG.debug("Refused a request from {} that is not valid HTTP/1.1: {}", request.remoteAddress(),
        cause == null ? "unknown" : cause.getMessage());
    response.putHeader("Connection", "close");
    if (cause instanceof TooLongHttpLineException) {
      Problems.send(response, 414, "uri-too-long",
          "the request line (method, URI and version) is longer than this server accepts: shorten the URI", null);
    } else if (cause instanceof TooLongHttpHeaderException) {
      Problems.send(response, 431, "headers-too-large", "the request headers are larger than this server accepts",
          null);
    } else if (cause instanceof UnsupportedVersionException) {
      Problems.send(response, 501, "http-version-not-supported",
          "this server speaks HTTP/1.1 (and HTTP/1.0); the request named another version", null);
    } else {
      Problems.send(response, 400, "bad-request",
          "the request is not valid HTTP/1.1: its request line, a header or its framing is malformed", null);
    }
  }
}
