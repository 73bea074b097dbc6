package dev.outpost.db.replication;

/**
 * One standby as the primary sees it ({@code pg_stat_replication}), for admins.
 *
 * @param name the standby's name (its {@code application_name})
 * @param state {@code streaming}, {@code catchup}, {@code startup} or {@code backup}
 * @param syncState {@code quorum} while it counts for synchronous commits, else {@code async} (or {@code potential})
 * @param replayLsn the last WAL position it replayed, as {@code X/Y}; empty before it replayed any
 * @param replayLagMillis how far its replay is behind, -1 when unknown (no recent write)
 */
public record StandbyState(String name, String state, String syncState, String replayLsn, long replayLagMillis) {
}
