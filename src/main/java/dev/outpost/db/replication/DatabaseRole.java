package dev.outpost.db.replication;

/** What a node's embedded database is in the replicated site; the metric label is the lower-case name. */
public enum DatabaseRole {
  /** Accepts writes; its standbys stream from it. */
  PRIMARY,
  /** A read-only hot standby, streaming from the primary (or trying to). */
  STANDBY
}
