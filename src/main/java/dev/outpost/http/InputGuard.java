package dev.outpost.http;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Refuses, before any route sees it, a request whose path or query string holds a control character once
 * percent-decoded (NUL among them: PostgreSQL cannot store it, and no id, name or filter of Outpost contains one),
 * malformed percent-encoding, or bytes that are not UTF-8: 400 problem+json. JSON bodies get the same treatment
 * from {@link JsonBodies} as they are parsed.
 */
public final class InputGuard implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext ctx) {
    String problem = problem("path", ctx.request().path());
    if (problem == null) {
      problem = problem("query string", ctx.request().query());
    }
    if (problem != null) {
      ctx.fail(ClientErrorException.badRequest(problem));
      return;
    }
    ctx.next();
  }

  /** What is wrong with a raw (percent-encoded) path or query, or null when nothing is. */
  static String problem(String part, String raw) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '%') {
        if (Character.isISOControl(c)) {
          return controlCharacter(part, c);
        }
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
        continue;
      }
      int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
      int low = high >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
      if (low < 0) {
        return "the request " + part + " has a '%' that does not start a percent-encoded byte (%XX)";
      }
      bytes.write(high * 16 + low);
      i += 2;
    }
    String decoded;
    try {
      decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return "the request " + part + " is not UTF-8 once percent-decoded";
    }
    for (int i = 0; i < decoded.length(); i++) {
      if (Character.isISOControl(decoded.charAt(i))) {
        return controlCharacter(part, decoded.charAt(i));
      }
    }
    return null;
  }

  private static String controlCharacter(String part, char c) {
    return String.format("the request %s holds the control character U+%04X; no id, name or parameter of Outpost "
        + "contains one", part, (int) c);
  }
}
