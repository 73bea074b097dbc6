package dev.outpost.db.replication;

import dev.outpost.db.EmbeddedPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's synchronous replication rule: a commit is acknowledged once at least one standby has flushed it
 * while any standby streams ({@code synchronous_standby_names = 'ANY 1 (the streaming standbys)'}), and at once while
 * none does ({@code ''}), so that a lone primary never waits forever. The site calls {@link #reconcile(Set)} when its
 * membership changes (a member that left no longer counts, even while its connection lingers), and
 * {@link ReplicationNode#startMonitoring} keeps the rule in step with {@code pg_stat_replication} in between.
 * Changes are written with {@code ALTER SYSTEM} and a reload, and logged once each. A standby that streams again
 * after a commit waited for it joins the rule at the next check.
 */
public final class SynchronousStandbys {

  private static final Logger LOG = LoggerFactory.getLogger(SynchronousStandbys.class);

  private final Vertx vertx;
  private final EmbeddedPostgres database;
  /** The site's members' standby names; empty until the site first says, when every streaming standby counts. */
  private volatile Optional<Set<String>> members = Optional.empty();

  SynchronousStandbys(Vertx vertx, EmbeddedPostgres database) {
    this.vertx = Objects.requireNonNull(vertx);
    this.database = Objects.requireNonNull(database);
  }

  /**
   * The site's members changed: only standbys named in {@code standbyNames} may count from now on. Completes with
   * the rule in force.
   */
  public Future<String> reconcile(Set<String> standbyNames) {
    members = Optional.of(Set.copyOf(standbyNames));
    return check();
  }

  /** Brings the rule in step with the standbys streaming now; completes with the rule in force. */
  public Future<String> check() {
    return vertx.executeBlocking(this::apply, false);
  }

  /** The rule for {@code streaming}: {@code ANY 1 ("a", "b")}, or empty for none. */
  static String rule(Set<String> streaming) {
    if (streaming.isEmpty()) {
      return "";
    }
    List<String> quoted = new ArrayList<>();
    for (String name : new TreeSet<>(streaming)) {
      quoted.add('"' + name.replace("\"", "") + '"');
    }
    return "ANY 1 (" + String.join(", ", quoted) + ")";
  }

  private String apply() throws SQLException {
    try (Connection sql = Sql.local(database); Statement statement = sql.createStatement()) {
      try (ResultSet recovery = statement.executeQuery("SELECT pg_is_in_recovery()")) {
        recovery.next();
        if (recovery.getBoolean(1)) {
          return ""; // a standby's rule means nothing until it is promoted
        }
      }
      Set<String> streaming = new TreeSet<>();
      try (ResultSet rows = statement.executeQuery(
          "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")) {
        while (rows.next()) {
          streaming.add(rows.getString(1));
        }
      }
      members.ifPresent(streaming::retainAll);
      String wanted = rule(streaming);
      String current;
      try (ResultSet shown = statement.executeQuery("SHOW " + NodeConfiguration.SYNC_NAMES)) {
        shown.next();
        current = shown.getString(1);
      }
      if (!wanted.equals(current)) {
        statement.execute("ALTER SYSTEM SET " + NodeConfiguration.SYNC_NAMES + " = "
            + NodeConfiguration.literal(wanted));
        statement.execute("SELECT pg_reload_conf()");
        LOG.info("Synchronous replication rule is now '{}' (was '{}')", wanted, current);
      }
      return wanted;
    }
  }
}
