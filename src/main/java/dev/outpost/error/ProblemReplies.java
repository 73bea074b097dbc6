package dev.outpost.error;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Problems carried between nodes in event bus replies: the answering node fails the message with the problem's
 * status, type and detail as JSON, and the asking node turns that back into the same exception, so that a
 * user sees the answer of the node that did the work.
 */
public final class ProblemReplies {

  private ProblemReplies() {
  }

  /** Fails {@code message} with {@code e} as a problem; anything not an {@link OutpostException} becomes a 500. */
  public static void fail(Message<?> message, Throwable e, String internalDetail) {
    OutpostException o = e instanceof OutpostException known ? known
        : ServerErrorException.internal(internalDetail, e);
    message.fail(o.status(), new JsonObject().put("status", o.status()).put("type", o.type())
        .put("detail", o.detail()).encode());
  }

  /** The problem in a failed reply, if the answering node sent one of ours. */
  public static Optional<OutpostException> read(Throwable e) {
    if (e instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      try {
        JsonObject p = new JsonObject(reply.getMessage());
        int status = p.getInteger("status", 500);
        String type = p.getString("type", "internal");
        String detail = p.getString("detail", "the other node failed");
        return Optional.of(OutpostException.fromProblem(status, type, detail));
      } catch (DecodeException | ClassCastException ignored) {
        // not one of ours
      }
    }
    return Optional.empty();
  }

  /** Whether no node listens at the address a request went to. */
  public static boolean noHandler(Throwable e) {
    return e instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }
}
