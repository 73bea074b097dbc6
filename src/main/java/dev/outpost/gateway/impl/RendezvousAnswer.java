package dev.outpost.gateway.impl;

import dev.outpost.error.ClientErrorException;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.RendezvousProtocol;
import io.vertx.core.Future;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The appliance's side of a hub rendezvous: for the hub's {@link RendezvousProtocol#OPEN} request it opens the
 * stream exactly as for a client at its own gateway (single-use ticket, session host), then dials a data channel
 * to the hub and carries the stream over it.
 */
public final class RendezvousAnswer {

  private final SessionRelay relay;
  private final Supplier<Future<WebSocket>> dataChannel;

  /** @param dataChannel dials {@link RendezvousProtocol#DATA_PATH} on the hub with this appliance's credentials */
  public RendezvousAnswer(SessionRelay relay, Supplier<Future<WebSocket>> dataChannel) {
    this.relay = Objects.requireNonNull(relay);
    this.dataChannel = Objects.requireNonNull(dataChannel);
  }

  public Future<JsonObject> answer(JsonObject request) {
    String ticket = request.getValue("ticket") instanceof String t && !t.isBlank() ? t : null;
    String rendezvous = request.getValue("rendezvous") instanceof String r && !r.isBlank() ? r : null;
    if (RendezvousProtocol.refusal(request).isPresent() || ticket == null || rendezvous == null) {
      return Future.failedFuture(ClientErrorException.badRequest("a rendezvous needs v="
          + RendezvousProtocol.VERSION + ", a ticket and a rendezvous id"));
    }
    return relay.open(new StreamOpener.Request(ticket, null, null))
        .compose(opened -> dataChannel.get()
            .recover(e -> {
              opened.far().end(false);
              return Future.failedFuture(new GatewayRefusal(GatewayStatus.BUSY,
                  "the appliance could not open a data channel to the hub: " + e.getMessage(), e));
            })
            .map(ws -> {
              ws.writeTextMessage(RendezvousProtocol.message()
                  .put("rendezvous", rendezvous).put("sessionId", opened.sessionId()).encode());
              relay.splice(opened, StreamEnds.of(ws), null);
              return new JsonObject().put("sessionId", opened.sessionId());
            }));
  }
}
