package dev.outpost.broker;

/**
 * Names of the operations that carry brokering between appliances and the hub over the tunnel, and between the
 * appliances of a cluster over the event bus in outage mode (wire schema {@link BrokerModels#SCHEMA}). Bodies are
 * the JSON forms of {@link BrokerModels} records; one skeleton answers them wherever they are served
 * ({@code broker.impl.BrokerWire}), and {@code docs/protocols/brokering.md} describes them.
 *
 * <pre>
 * appliance -> hub   hosts.register   {registration}                 -> {ports:[..], heartbeatSeconds}
 * appliance -> hub   hosts.heartbeat  {heartbeat}                    -> {}
 * appliance -> hub   hosts.lost       {hostId, reason}               -> {}
 * appliance -> hub   hosts.list       {}                             -> {items:[host]}
 * appliance -> hub   hosts.update     {hostId, draining?, maintenance?} -> host | {id, state: unregistered}
 * appliance -> hub   broker.resources {user}                         -> {items:[resource]}
 * appliance -> hub   broker.launch    {user, resource, mintsTicket}  -> placement (no ticket: the appliance mints it)
 * appliance -> hub   sessions.list    {query}                        -> {items:[session]}
 * appliance -> hub   sessions.logoff  {sessionId, reason}            -> session
 * appliance -> hub   sessions.disconnect {sessionId}                 -> session
 * appliance -> hub   sessions.state   {sessionId, state: connected|disconnected} -> session
 * appliance -> hub   site.snapshot    {haveVersion}                  -> {unchanged:true} | {model} (SiteModelJson)
 * appliance -> hub   sessions.adopt   {items:[session]}              -> {adopted:n}
 * appliance -> hub   sessions.history {userId, cursor?, limit}        -> {items:[ended session], nextCursor?}
 * hub -> appliance   agent.command    {hostId, command:{command, sessionId?}} -> agent's result
 * </pre>
 *
 * In outage mode the cluster's leading appliance answers {@code broker.*}, {@code sessions.list|logoff|disconnect|
 * state} and {@code hosts.list|update} for the other nodes, with the same bodies.
 */
public final class BrokerOperations {

  public static final String HOSTS_REGISTER = "hosts.register";
  public static final String HOSTS_HEARTBEAT = "hosts.heartbeat";
  public static final String HOSTS_LOST = "hosts.lost";
  public static final String HOSTS_LIST = "hosts.list";
  public static final String HOSTS_UPDATE = "hosts.update";
  public static final String RESOURCES = "broker.resources";
  public static final String LAUNCH = "broker.launch";
  public static final String SESSIONS_LIST = "sessions.list";
  public static final String SESSIONS_LOGOFF = "sessions.logoff";
  public static final String SESSIONS_DISCONNECT = "sessions.disconnect";
  public static final String SESSIONS_STATE = "sessions.state";
  public static final String SITE_SNAPSHOT = "site.snapshot";
  public static final String SESSIONS_ADOPT = "sessions.adopt";
  /** A user's own ended sessions from the hub's session history (the store's "your session history"). */
  public static final String SESSIONS_HISTORY = "sessions.history";
  public static final String AGENT_COMMAND = "agent.command";

  private BrokerOperations() {
  }
}
