package dev.outpost.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP/1.x connection whose request head (request line and headers) has not arrived in full within the
 * deadline (slowloris: a client that dribbles its headers to hold a connection forever). The clock starts when the
 * connection is ready (after TLS), and on a kept-alive connection with the first byte of each later request; an
 * idle kept-alive connection is left to the idle timeout. Once a head is complete, the deadline no longer applies
 * to that request (its body has the body limit and the idle timeout).
 *
 * <p>It also marks a request with an HTTP version other than 1.0 or 1.1 as invalid, so that
 * {@link FramingRefusals} answers it (Vert.x would send a bare 501 before any handler of Outpost runs), and turns a
 * body whose framing is broken (a bad chunk) into a 400 problem ({@link FramingRefusals#malformedBody}) instead of
 * an unexpected error that Vert.x cannot even answer.
 *
 * <p>Vert.x has no option for either, so two small Netty handlers sit around the connection's request decoder:
 * one sees the bytes of a head arrive, the other sees the decoded head.
 */
final class HeaderDeadline {

  private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);
  /** Vert.x's name for the HTTP/1.x request decoder in a connection's pipeline. */
  private static final String DECODER = "httpDecoder";

  private final long timeoutMs;
  private ScheduledFuture<?> timer;
  private boolean betweenRequests = true;

  private HeaderDeadline(Duration timeout) {
    this.timeoutMs = timeout.toMillis();
  }

  /**
   * Puts the deadline on a newly accepted connection. Runs on the connection's event loop, before it reads any
   * request. HTTP/2 connections are left alone (Outpost's listeners do not offer HTTP/2).
   */
  static void install(HttpConnection connection, Duration timeout) {
    // Vert.x exposes the pipeline only on its internal connection type.
    if (!(connection instanceof io.vertx.core.http.impl.HttpServerConnection server)) {
      return;
    }
    ChannelHandlerContext channel = server.channelHandlerContext();
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(DECODER) == null) {
      return;
    }
    HeaderDeadline deadline = new HeaderDeadline(timeout);
    pipeline.addBefore(DECODER, "outpostHeadBytes", deadline.new HeadBytes());
    pipeline.addAfter(DECODER, "outpostHeadDecoded", deadline.new HeadDecoded());
    deadline.start(channel);
  }

  private void start(ChannelHandlerContext ctx) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> expire(ctx), timeoutMs, TimeUnit.MILLISECONDS);
    }
  }

  private void stop() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void expire(ChannelHandlerContext ctx) {
    timer = null;
    LOG.debug("Closing the connection from {}: no complete request head within {} ms", ctx.channel().remoteAddress(),
        timeoutMs);
    ctx.channel().close();
  }

  /** Before the decoder: the first bytes of a request head start the clock. */
  private final class HeadBytes extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (ctx.pipeline().get(DECODER) == null) {
        // upgraded to a WebSocket: frames follow, not request heads
        stop();
        ctx.pipeline().remove(this);
        ctx.pipeline().remove(HeadDecoded.class);
      } else if (msg instanceof ByteBuf bytes && bytes.isReadable() && betweenRequests) {
        betweenRequests = false;
        start(ctx);
      }
      super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      stop();
      super.channelInactive(ctx);
    }
  }

  /** After the decoder: a decoded head stops the clock; the end of its request waits for the next head. */
  private final class HeadDecoded extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof HttpRequest request) {
        stop();
        betweenRequests = false;
        refuseUnknownVersion(request);
      }
      // (a request the decoder could not read at all comes as one "full" request, head and content: not a body)
      if (msg instanceof HttpContent content && !(msg instanceof HttpRequest) && content.decoderResult().isFailure()) {
        Throwable failure = content.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        FramingRefusals.malformedBody(ctx.pipeline(), failure);
        return;
      }
      if (msg instanceof LastHttpContent) {
        betweenRequests = true;
      }
      super.channelRead(ctx, msg);
    }
  }

  private static void refuseUnknownVersion(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    if (request.decoderResult().isSuccess() && !HttpVersion.HTTP_1_1.equals(version)
        && !HttpVersion.HTTP_1_0.equals(version)) {
      request.setDecoderResult(DecoderResult.failure(new FramingRefusals.UnsupportedVersionException(version.text())));
      // answered in HTTP/1.1, the version this server speaks, rather than echoing the unknown one
      request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }
  }
}
