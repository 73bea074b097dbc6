package dev.outpost.db.replication;

import java.util.List;

/**
 * A node's database at one moment, for metrics and the admin API.
 *
 * @param role primary or standby
 * @param timeline the timeline it writes (primary) or replays (standby); it grows by one at each promotion
 * @param lsn the last WAL position written (primary) or replayed (standby), as {@code X/Y}
 * @param synchronousStandbyNames the primary's rule now ({@code ANY 1 (...)} or empty); empty on a standby
 * @param standbys the standbys connected to it (primary), empty on a standby
 */
public record ReplicationStatus(DatabaseRole role, int timeline, String lsn, String synchronousStandbyNames,
    List<StandbyState> standbys) {

  public ReplicationStatus {
    standbys = List.copyOf(standbys);
  }

  /** The last WAL position as a number, for a gauge. */
  public long lsnValue() {
    return lsn.isEmpty() ? 0 : Lsn.parse(lsn);
  }
}
