package dev.outpost.db.replication;

/** PostgreSQL's WAL positions ({@code pg_lsn}): the text form {@code X/Y} (hex) and its 64-bit value. */
final class Lsn {

  private Lsn() {
  }

  static long parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a WAL position: " + text);
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
  }

  static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
        + Long.toHexString(lsn & 0xffffffffL).toUpperCase(java.util.Locale.ROOT);
  }
}
