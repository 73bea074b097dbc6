package dev.outpost.admin;

import dev.outpost.admin.impl.AuditLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

/**
 * The site's audit log, as other features write to it: a change they make in the site's database is recorded in the
 * same transaction, under the {@link Actor} who made it (e.g. a lease revocation when an admin takes access away, or
 * one an appliance forwards). Admin routes that another feature contributes get {@link AdminExtension.Auditor}
 * instead, which knows the signed-in admin of the request.
 */
@FunctionalInterface
public interface Auditor {

  /**
   * Appends one row; use the connection of the transaction making the change, so that the row and the change commit
   * or fail together.
   *
   * @param action what happened, {@code <targetType>.<verb>} (e.g. {@code lease-revocation.create})
   * @param detail what the change was, as the audit API shows it
   */
  Future<Void> record(SqlClient sql, Actor actor, String action, String targetType, String targetId,
      String targetName, JsonObject detail);

  /** The audit log in the site's database ({@code GET /admin/api/v1/audit} lists it). */
  static Auditor log() {
    AuditLog log = new AuditLog();
    return log::record;
  }
}
