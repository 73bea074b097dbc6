package dev.outpost.hub;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.Requests;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub role of an all-in-one appliance, reached without a socket: each request goes straight to the handler the
 * hub runs for this node's tunnel on a separate hub (the same operations, scoped to the same caller), and what the
 * hub sends down to the node (agent commands, directory tests) goes straight to the node's handlers. Bodies are
 * copied both ways, as a tunnel's serialization would; a problem travels as the exception it is, and anything else
 * becomes the 500 a tunnel would carry, so callers see the same answers either way.
 */
public final class InProcessHub implements HubChannel {

  private static final Logger LOG = LoggerFactory.getLogger(InProcessHub.class);

  private final Vertx vertx;
  private final HubOperations operations;
  private final HubOperations.Caller caller;
  private final BooleanSupplier running;

  /**
   * @param down the node's own operations, for what the hub sends down to it
   * @param running whether the hub role's services have started (requests before that are refused with 503)
   */
  public InProcessHub(Vertx vertx, HubOperations operations, String location, String node,
      Function<String, Function<JsonObject, Future<JsonObject>>> down, BooleanSupplier running) {
    this.vertx = Objects.requireNonNull(vertx);
    this.operations = Objects.requireNonNull(operations);
    this.caller = new HubOperations.Caller(location, node, (op, body) -> call(down.apply(op), op, body));
    this.running = Objects.requireNonNull(running);
  }

  @Override
  public Future<JsonObject> request(String op, JsonObject body) {
    if (!running.getAsBoolean()) {
      return Future.failedFuture(ServerErrorException.unavailable("the hub role of this appliance is starting; try "
          + "again"));
    }
    Function<JsonObject, Future<JsonObject>> handler;
    try {
      handler = operations.operation(caller, op);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call(handler, op, body);
  }

  /** Where the hub role's requests down to this node go (agent commands, directory tests), as over a tunnel. */
  public Requests toNode() {
    return caller.channel()::request;
  }

  @Override
  public boolean reachable() {
    return running.getAsBoolean();
  }

  @Override
  public String describe() {
    return running.getAsBoolean() ? "the hub role runs in this process" : "the hub role of this process is starting";
  }

  /** Runs one operation and completes on the caller's context, as a tunnel answer would. */
  private Future<JsonObject> call(Function<JsonObject, Future<JsonObject>> handler, String op, JsonObject body) {
    Context callerContext = vertx.getOrCreateContext();
    if (handler == null) {
      return Future.failedFuture(ClientErrorException.notFound("unknown tunnel operation " + op));
    }
    Future<JsonObject> answer;
    try {
      answer = handler.apply(body.copy());
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    Future<JsonObject> carried = answer.transform(ar -> {
      if (ar.succeeded()) {
        return Future.succeededFuture(ar.result() == null ? new JsonObject() : ar.result().copy());
      }
      if (ar.cause() instanceof OutpostException) {
        return Future.failedFuture(ar.cause());
      }
      LOG.error("Hub operation {} failed", op, ar.cause());
      return Future.failedFuture(new ServerErrorException(500, "internal", "the peer could not complete " + op,
          null));
    });
    return Future.fromCompletionStage(carried.toCompletionStage(), callerContext);
  }
}
