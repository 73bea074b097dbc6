package dev.outpost.hub;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.identity.directory.DirectoryOperations;
import dev.outpost.identity.directory.DirectoryProbe;
import dev.outpost.identity.directory.DirectorySettings;
import dev.outpost.identity.directory.DirectoryTable;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The hub's side of directory identity. Appliances fetch their location's directory settings (bind secret
 * opened, over their mutually authenticated tunnel); and since the hub never reaches a directory itself, the
 * admin API's directory tests and group lists are relayed to an appliance of the directory's location that
 * fetched its settings recently.
 */
public final class DirectoryRelay implements HubOperations, DirectoryProbe {

  /** An appliance that has not asked for its settings for this long is not asked to probe. */
  static final Duration RECENT = Duration.ofMinutes(10);

  private record Seen(String location, ApplianceChannel channel, Instant at) {
  }

  private final Database db;
  private final DirectoryTable table;
  private final Clock clock;
  private final Map<String, Seen> appliances = new ConcurrentHashMap<>();

  public DirectoryRelay(Database db, DirectoryTable table, Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.table = Objects.requireNonNull(table);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    if (!DirectoryOperations.SETTINGS.equals(op)) {
      return null;
    }
    return body -> {
      appliances.put(caller.node(), new Seen(caller.location(), caller.channel(), clock.instant()));
      return table.forLocation(caller.location()).map(all -> new JsonObject().put("items",
          new JsonArray(all.stream().map(DirectorySettings::toWireJson).toList())));
    };
  }

  @Override
  public Future<JsonObject> test(String directory, String username, String password) {
    return relay(directory, DirectoryOperations.TEST, new JsonObject().put("username", username)
        .put("password", password));
  }

  @Override
  public Future<JsonArray> groups(String directory, String query) {
    return relay(directory, DirectoryOperations.GROUPS, new JsonObject().put("query", query))
        .map(answer -> answer.getJsonArray("items", new JsonArray()));
  }

  private Future<JsonObject> relay(String directory, String op, JsonObject body) {
    return db.pool()
        .preparedQuery("SELECT id, location FROM directories WHERE id::text = $1 OR lower(name) = lower($1)")
        .execute(Tuple.of(directory))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.notFound("no directory '" + directory + "'"));
          }
          String id = rows.iterator().next().getUUID("id").toString();
          String location = rows.iterator().next().getString("location");
          Instant recent = clock.instant().minus(RECENT);
          return appliances.values().stream()
              .filter(seen -> seen.location().equals(location) && seen.at().isAfter(recent))
              .max(Comparator.comparing(Seen::at))
              .map(seen -> seen.channel().request(op, body.put("directoryId", id)))
              .orElseGet(() -> Future.failedFuture(ServerErrorException.unavailable("no appliance of location '"
                  + location + "' is connected: the hub never reaches a directory itself, an appliance of the "
                  + "location does")));
        });
  }
}
