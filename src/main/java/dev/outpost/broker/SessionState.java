package dev.outpost.broker;

import dev.outpost.error.ClientErrorException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a brokered session is in its life. The wire (tunnel, event bus, APIs) and the session history carry
 * {@link #wireName()}.
 */
public enum SessionState {
  /** Placed on a host with a ticket issued; no stream has reached the host yet. */
  LAUNCHING,
  /** A gateway stream of the session is open. */
  CONNECTED,
  /** Its streams ended or an admin disconnected it; the session goes on on its host. */
  DISCONNECTED,
  /** Logged off, never connected, or its host was lost: the slot on the host is free. */
  ENDED;

  /** The name on the wire and in the database: the constant in lower case. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the session still holds its place on the host. */
  public boolean open() {
    return this != ENDED;
  }

  /** The state of this wire name, if it is one. */
  public static Optional<SessionState> parse(String wireName) {
    return Arrays.stream(values()).filter(s -> s.wireName().equals(wireName)).findFirst();
  }

  /** The state of this wire name; a 400 naming the known states for anything else. */
  public static SessionState fromWire(String wireName) {
    return parse(wireName).orElseThrow(() -> ClientErrorException.validation("state must be one of "
        + String.join(", ", Arrays.stream(values()).map(SessionState::wireName).sorted().toList())
        + (wireName == null ? "" : ", not " + wireName)));
  }
}
