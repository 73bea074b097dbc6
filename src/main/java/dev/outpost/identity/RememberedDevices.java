package dev.outpost.identity;

import dev.outpost.crypto.DeviceKeys;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.identity.AccountDirectory.Account;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * "Remember this device": after a sign-in with a second factor, a device may skip the code for a while. What it gets
 * is a grant sealed with the site's key for stored secrets — account, factor, device key thumbprint and expiry — so
 * that any node of the site checks it, even with the database down. A grant counts only together with a fresh proof
 * that the device holds the private key of that thumbprint (a signature over the user name and the time, used once),
 * and only for the factor it was made under: enrolling again or an admin's reset forgets every remembered device.
 */
public final class RememberedDevices {

  /** What a device signs: this line, the user name in lower case and the time in epoch milliseconds, by newlines. */
  public static final String PROOF_CONTEXT = "outpost-sign-in/v1";
  /** How far a proof's time may be from the node's. */
  static final Duration PROOF_WINDOW = Duration.ofMinutes(2);
  private static final String PURPOSE = "outpost/identity/remembered-device/v1";
  private static final String PREFIX = "rd1.";

  private final SecretBox box;
  private final Duration validity;
  private final OneTimeMarks marks;
  private final Clock clock;

  /** @param validity how long a device is remembered; zero turns remembering off */
  public RememberedDevices(SecretBox box, Duration validity, OneTimeMarks marks, Clock clock) {
    this.box = Objects.requireNonNull(box);
    this.validity = Objects.requireNonNull(validity);
    this.marks = Objects.requireNonNull(marks);
    this.clock = Objects.requireNonNull(clock);
  }

  public Duration validity() {
    return validity;
  }

  public boolean enabled() {
    return !validity.isZero();
  }

  /** A grant for the account's current factor on the device with this key thumbprint. */
  public String grant(Account account, String thumbprint) {
    JsonObject grant = new JsonObject().put("u", account.id()).put("f", account.secondFactor().id())
        .put("d", thumbprint).put("exp", clock.instant().plus(validity).getEpochSecond());
    return PREFIX + box.seal(PURPOSE, grant.encode());
  }

  /**
   * Whether {@code grant} lets this device skip the code: made for this account, its current factor and the
   * presented device key, not expired, and {@code proof} a fresh signature by that key not seen before.
   */
  public Future<Boolean> admits(Account account, String grant, String deviceKey, String proof) {
    if (!enabled() || grant == null || deviceKey == null || proof == null || !grant.startsWith(PREFIX)
        || !account.secondFactor().enrolled()) {
      return Future.succeededFuture(false);
    }
    JsonObject content;
    DeviceKeys.DeviceKey key;
    try {
      content = new JsonObject(box.open(PURPOSE, grant.substring(PREFIX.length())));
      key = DeviceKeys.parse(deviceKey);
    } catch (RuntimeException e) {
      return Future.succeededFuture(false);
    }
    Instant now = clock.instant();
    boolean granted = account.id().equals(content.getString("u"))
        && account.secondFactor().id().equals(content.getString("f"))
        && key.thumbprint().equals(content.getString("d"))
        && now.getEpochSecond() < content.getLong("exp", 0L);
    if (!granted || !proven(key.key(), account.username(), proof, now)) {
      return Future.succeededFuture(false);
    }
    return marks.firstUse("device-proof:" + SecureTokens.hash(proof), PROOF_WINDOW.multipliedBy(2));
  }

  /** The bytes a device signs for a sign-in as {@code username} at {@code epochMillis}. */
  public static byte[] proofInput(String username, long epochMillis) {
    return (PROOF_CONTEXT + "\n" + username.toLowerCase(Locale.ROOT) + "\n" + epochMillis)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** {@code proof} is {@code <epoch millis>.<base64url signature>}, made within the window. */
  private static boolean proven(Ed25519PublicKeyParameters key, String username, String proof, Instant now) {
    int dot = proof.indexOf('.');
    if (dot < 1 || proof.length() > 200) {
      return false;
    }
    long at;
    byte[] signature;
    try {
      at = Long.parseLong(proof.substring(0, dot));
      signature = Base64.getUrlDecoder().decode(proof.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (Duration.between(Instant.ofEpochMilli(at), now).abs().compareTo(PROOF_WINDOW) > 0
        || signature.length != 64) {
      return false;
    }
    byte[] input = proofInput(username, at);
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key);
    verifier.update(input, 0, input.length);
    return verifier.verifySignature(signature);
  }
}
