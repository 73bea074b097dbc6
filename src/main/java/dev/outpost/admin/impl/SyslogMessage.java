package dev.outpost.admin.impl;

import dev.outpost.admin.AuditConfig.Facility;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An audit entry as an RFC 5424 syslog message, framed for TLS transport by octet counting (RFC 5425/6587):
 * {@code LEN SP <PRI>1 TIMESTAMP HOSTNAME outpost - MSGID - BOM JSON}, where PRI is the facility with severity
 * notice, TIMESTAMP the entry's time, HOSTNAME the node that recorded it, MSGID its action, and the message the
 * entry's JSON line as the export writes it.
 */
public final class SyslogMessage {

  /** Severity of every audit message: notice (normal but significant). */
  static final int SEVERITY = 5;
  static final String APP_NAME = "outpost";
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private SyslogMessage() {
  }

  /** The framed message of an export line (see {@link AuditExport#line}). */
  public static byte[] framed(JsonObject line, Facility facility) {
    byte[] message = message(line, facility);
    byte[] length = (message.length + " ").getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream(length.length + message.length);
    out.writeBytes(length);
    out.writeBytes(message);
    return out.toByteArray();
  }

  /** The message without its frame. */
  static byte[] message(JsonObject line, Facility facility) {
    String header = "<" + (facility.code() * 8 + SEVERITY) + ">1 " + line.getString("at") + " "
        + token(line.getString("node"), 255) + " " + APP_NAME + " - " + token(line.getString("action"), 32) + " - ";
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    byte[] body = line.encode().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + BOM.length + body.length);
    out.writeBytes(head);
    out.writeBytes(BOM);
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** A header field: printable US-ASCII without spaces, at most {@code max} characters, or the nil value. */
  static String token(String value, int max) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), max));
    for (int i = 0; i < value.length() && out.length() < max; i++) {
      char c = value.charAt(i);
      out.append(c >= 33 && c <= 126 ? c : '_');
    }
    return out.toString();
  }
}
