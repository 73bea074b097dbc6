package dev.outpost.lease.impl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The compact signed form shared by leases and lease proofs: {@code base64url(payload) "." base64url(signature)},
 * where the payload is the canonical JSON of the document and the signature covers a context string, a zero byte
 * and the payload bytes (so that a proof can never pass for a lease or the other way round).
 *
 * @param payload the document as parsed; {@link #open} guarantees it encodes canonically to the signed bytes
 */
public record SignedEnvelope(JsonObject payload, byte[] signedInput, byte[] signature) {

  /** Longest token accepted, against oversized input before any parsing. */
  public static final int MAX_TOKEN_CHARS = 48 * 1024;

  /** Encodes and signs {@code payload}; {@code signer} turns the signed input into a signature. */
  public static String seal(String context, JsonObject payload, Function<byte[], byte[]> signer) {
    byte[] body = CanonicalJson.encode(payload);
    byte[] signature = signer.apply(input(context, body));
    return StrictBase64.encode(body) + "." + StrictBase64.encode(signature);
  }

  /**
   * Splits and decodes a token without checking its signature (the caller picks the key from the payload).
   *
   * @throws IllegalArgumentException with a short reason when the token is not well formed
   */
  public static SignedEnvelope open(String context, String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("it is empty");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new IllegalArgumentException("it is longer than " + MAX_TOKEN_CHARS + " characters");
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.') || dot == token.length() - 1) {
      throw new IllegalArgumentException("it is not two base64url parts joined by a dot");
    }
    byte[] body = StrictBase64.decode(token.substring(0, dot));
    byte[] signature = StrictBase64.decode(token.substring(dot + 1));
    JsonObject payload;
    try {
      payload = new JsonObject(new String(body, StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("its payload is not a JSON object");
    }
    if (!Arrays.equals(CanonicalJson.encode(payload), body)) {
      throw new IllegalArgumentException("its payload is not in canonical form");
    }
    return new SignedEnvelope(payload, input(context, body), signature);
  }

  private static byte[] input(String context, byte[] body) {
    byte[] prefix = context.getBytes(StandardCharsets.US_ASCII);
    byte[] input = Arrays.copyOf(prefix, prefix.length + 1 + body.length);
    System.arraycopy(body, 0, input, prefix.length + 1, body.length);
    return input;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SignedEnvelope that && payload.equals(that.payload)
        && Arrays.equals(signedInput, that.signedInput) && Arrays.equals(signature, that.signature);
  }

  @Override
  public int hashCode() {
    return payload.hashCode() * 31 + Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "SignedEnvelope" + payload.encode();
  }
}
