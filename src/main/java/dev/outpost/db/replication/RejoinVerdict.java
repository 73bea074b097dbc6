package dev.outpost.db.replication;

/**
 * Whether a node's stopped database can follow a primary as it is, or must be cloned again.
 *
 * @param canFollow true when its history is a prefix of the primary's
 * @param reason why, for the log and the admin
 */
public record RejoinVerdict(boolean canFollow, String reason) {

  static RejoinVerdict follow(String reason) {
    return new RejoinVerdict(true, reason);
  }

  static RejoinVerdict reclone(String reason) {
    return new RejoinVerdict(false, reason);
  }
}
