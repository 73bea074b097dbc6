package dev.outpost.hosts;

import dev.outpost.error.ClientErrorException;
import dev.outpost.hosts.AgentLinkProtocol.Command;
import io.vertx.core.json.JsonObject;

/**
 * A command for a session host's agent, as brokers send it down to the node the agent links to. Its JSON form,
 * {@code {"command": "drain|undrain|logoff|disconnect", "sessionId": ...}}, is the {@code command} of the tunnel's
 * {@code agent.command} and what {@link AgentCommands#send} takes (see {@code docs/protocols/agent-link.md}).
 */
public sealed interface AgentCommand {

  /** The command's name on the agent link. */
  Command kind();

  /** Take no new sessions; existing ones continue. */
  record Drain() implements AgentCommand {
    @Override
    public Command kind() {
      return Command.DRAIN;
    }
  }

  /** Take new sessions again. */
  record Undrain() implements AgentCommand {
    @Override
    public Command kind() {
      return Command.UNDRAIN;
    }
  }

  /** A command about one session of the host; the node also ends the session's gateway streams. */
  sealed interface ForSession extends AgentCommand {
    String sessionId();
  }

  /** End the session. */
  record Logoff(String sessionId) implements ForSession {
    @Override
    public Command kind() {
      return Command.LOGOFF;
    }
  }

  /** Disconnect the session's user, keeping the session. */
  record Disconnect(String sessionId) implements ForSession {
    @Override
    public Command kind() {
      return Command.DISCONNECT;
    }
  }

  /** {@link Drain} or {@link Undrain}. */
  static AgentCommand drain(boolean on) {
    return on ? new Drain() : new Undrain();
  }

  default JsonObject toJson() {
    JsonObject json = new JsonObject().put("command", kind().wireName());
    if (this instanceof ForSession session) {
      json.put("sessionId", session.sessionId());
    }
    return json;
  }

  /** Reads the JSON form; 400 for an unknown command or a session command without {@code sessionId}. */
  static AgentCommand fromJson(JsonObject json) {
    Command kind = Command.parse(json.getValue("command")).orElseThrow(() -> ClientErrorException.validation(
        "unknown command " + json.getValue("command") + "; use drain, undrain, logoff or disconnect"));
    if (kind.needsSession() && !(json.getValue("sessionId") instanceof String)) {
      throw ClientErrorException.validation(kind.wireName() + " needs a sessionId");
    }
    return switch (kind) {
      case DRAIN -> new Drain();
      case UNDRAIN -> new Undrain();
      case LOGOFF -> new Logoff(json.getString("sessionId"));
      case DISCONNECT -> new Disconnect(json.getString("sessionId"));
    };
  }
}
