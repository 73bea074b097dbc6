package dev.outpost.db.replication;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Decides whether a stopped data directory can stream from a primary without being cloned again (there is no
 * pg_rewind in the bundled binaries): it can when it is a copy of the same cluster, stopped cleanly, and its last
 * checkpoint lies before the point where the primary's timeline left its own (or on the primary's timeline, not
 * beyond the primary's WAL). Anything else, an unclean stop included, means a new base backup: WAL it wrote that the
 * primary never had would otherwise be replayed as if it were the site's. Blocking.
 */
final class HistoryCheck {

  private HistoryCheck() {
  }

  static RejoinVerdict assess(Path pgData, PrimaryEndpoint primary, ReplicationSettings settings)
      throws IOException {
    if (!Files.exists(pgData.resolve("global/pg_control"))) {
      return RejoinVerdict.reclone("this node has no database yet");
    }
    ControlFile local = ControlFile.read(pgData);
    try (Connection replication = Sql.peer(primary, settings, true);
        Statement statement = replication.createStatement()) {
      long systemIdentifier;
      int timeline;
      long position;
      try (ResultSet identity = statement.executeQuery("IDENTIFY_SYSTEM")) {
        identity.next();
        systemIdentifier = Long.parseUnsignedLong(identity.getString("systemid"));
        timeline = identity.getInt("timeline");
        position = Lsn.parse(identity.getString("xlogpos"));
      }
      if (systemIdentifier != local.systemIdentifier()) {
        return RejoinVerdict.reclone("this node's database is another cluster (system "
            + Long.toUnsignedString(local.systemIdentifier()) + ", the primary's is "
            + Long.toUnsignedString(systemIdentifier) + ")");
      }
      if (!local.cleanShutdown()) {
        return RejoinVerdict.reclone("this node's database did not stop cleanly (state " + local.state()
            + "): it may hold WAL the primary never had");
      }
      if (local.timeline() == timeline) {
        return local.checkpoint() <= position
            ? RejoinVerdict.follow("same timeline " + timeline + ", this node is behind the primary")
            : RejoinVerdict.reclone("same timeline " + timeline + ", but this node is ahead of the primary");
      }
      if (local.timeline() > timeline) {
        return RejoinVerdict.reclone("this node is on timeline " + local.timeline() + ", newer than the primary's "
            + timeline);
      }
      long fork = forkPoint(statement, timeline, local.timeline());
      if (fork < 0) {
        return RejoinVerdict.reclone("the primary's timeline " + timeline + " does not descend from this node's "
            + local.timeline());
      }
      return local.checkpoint() < fork
          ? RejoinVerdict.follow("timeline " + local.timeline() + " ended at " + Lsn.format(fork)
              + " after this node's last record")
          : RejoinVerdict.reclone("this node wrote on timeline " + local.timeline() + " up to "
              + Lsn.format(local.checkpoint()) + ", beyond where the primary left it (" + Lsn.format(fork) + ")");
    } catch (SQLException e) {
      throw new IOException("cannot read the history of the primary at " + primary + ": " + e.getMessage(), e);
    }
  }

  /** Where the primary's history left {@code timeline}, from its timeline history; -1 when it never was on it. */
  private static long forkPoint(Statement statement, int primaryTimeline, int timeline) throws SQLException {
    String history;
    try (ResultSet file = statement.executeQuery("TIMELINE_HISTORY " + primaryTimeline)) {
      file.next();
      history = "bytea".equals(file.getMetaData().getColumnTypeName(2))
          ? new String(file.getBytes(2), StandardCharsets.UTF_8) : file.getString(2);
    }
    for (String line : history.lines().toList()) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length >= 2 && !fields[0].startsWith("#") && fields[0].matches("[0-9]+")
          && Integer.parseInt(fields[0]) == timeline) {
        return Lsn.parse(fields[1]);
      }
    }
    return -1;
  }
}
