package dev.outpost.identity.directory;

import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.StoredSecretsKey;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directories of the site model (table {@code directories}, on the hub) as the appliances of a location
 * use them: kind defaults filled in and the bind secret opened. Only the hub's tunnel hands them out.
 */
public final class DirectoryTable {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryTable.class);
  /** Associated data of sealed bind secrets: a sealed value only opens as a directory bind secret. */
  public static final String SECRET_PURPOSE = "outpost.directory.bind-secret.v1";

  private final Database db;
  private final SecretBox secrets;

  public DirectoryTable(Database db, SecretBox secrets) {
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
  }

  /** One stored bind secret, if any: what the key for stored secrets must open (see {@link StoredSecretsKey}). */
  public static Future<Optional<StoredSecretsKey.Sealed>> sealedSample(SqlConnection conn) {
    return conn.query("SELECT bind_secret_enc FROM directories LIMIT 1").execute()
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(new StoredSecretsKey.Sealed(SECRET_PURPOSE, rows.iterator().next().getString(0))));
  }

  /** The directories of one resource location, secrets in clear; one whose secret cannot be opened is left out. */
  public Future<List<DirectorySettings>> forLocation(String location) {
    return db.pool().preparedQuery("SELECT * FROM directories WHERE location = $1 ORDER BY priority, lower(name)")
        .execute(Tuple.of(location))
        .map(rows -> {
          List<DirectorySettings> all = new ArrayList<>();
          for (Row row : rows) {
            try {
              all.add(toSettings(row, secrets.open(SECRET_PURPOSE, row.getString("bind_secret_enc"))));
            } catch (IllegalArgumentException e) {
              LOG.error("Directory {}: cannot open its bind secret: {}", row.getString("name"), e.getMessage());
            }
          }
          return all;
        });
  }

  /** A row of {@code directories} with every empty field set to its kind's default; the secret as given. */
  public static DirectorySettings toSettings(Row row, String bindSecret) {
    DirectoryKind kind = DirectoryKind.parse(row.getString("kind")).orElse(DirectoryKind.OPENLDAP);
    String[] logins = row.getArrayOfStrings("login_attributes");
    Boolean nested = row.getBoolean("nested_groups");
    String userBase = row.getString("user_base");
    return new DirectorySettings(row.getUUID("id").toString(), row.getString("name"), row.getString("location"),
        kind, Arrays.asList(row.getArrayOfStrings("urls")), row.getString("tls"), row.getString("ca_certificate"),
        row.getString("bind_dn"), bindSecret, userBase, or(row.getString("user_filter"), kind.userFilter()),
        logins == null || logins.length == 0 ? kind.loginAttributes() : Arrays.asList(logins),
        or(row.getString("display_name_attribute"), kind.displayNameAttribute()),
        or(row.getString("group_base"), userBase), or(row.getString("group_filter"), kind.groupFilter()),
        or(row.getString("group_membership"), kind.groupMembership()), nested == null || nested,
        row.getInteger("priority"), row.getBoolean("enabled"));
  }

  private static String or(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }
}
