package dev.outpost.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.lease.impl.CanonicalJson;
import dev.outpost.lease.impl.LeaseSigner;
import dev.outpost.lease.impl.LeaseTrust;
import dev.outpost.lease.impl.SigningKey;
import dev.outpost.lease.impl.TrustedKey;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A lease or a proof that was changed in any way is refused: every single-bit flip of a sample lease and of a
 * proof, over all bit positions, and the other ways a lease can be wrong for its verifier.
 */
class LeaseTamperTest {

  static final Instant NOW = Instant.parse("2026-11-20T10:00:00Z");
  static final SigningKey SITE_KEY = SigningKey.generate();
  static final LeaseTrust TRUST = new LeaseTrust("site-a", List.of(new TrustedKey(SITE_KEY.keyId(),
      SITE_KEY.publicKey(), null)), List.of());

  static Lease sampleLease(String device, Instant issuedAt, Duration validity, String keyId) {
    return new Lease("3f1c0e42-1111-4a4a-9b9b-123456789abc", "site-a", "default", new Lease.User(
        "9d2c8e1a-2222-4b4b-8c8c-abcdefabcdef", "alice"), Set.of("cn=ops,dc=example,dc=org"), device,
        List.of(new Lease.Resource("r-1", "shell", "linux", "desktop"), new Lease.Resource("r-2", "wiki \"é\"",
            "web", "app")),
        List.of(new Lease.Appliance("https://a1.example:8443", "a1.example:2598", "wss://a1.example:8443/gateway",
            "ab".repeat(32))),
        new Lease.HubGateway("wss://hub.example:9443/gateway?location=default", "cd".repeat(32)), issuedAt,
        issuedAt.plus(validity), keyId);
  }

  static String sampleToken() {
    return new LeaseSigner(SITE_KEY).sign(sampleLease("device-thumbprint", NOW.minusSeconds(60), Duration.ofDays(7),
        SITE_KEY.keyId()));
  }

  @Test
  void aSignedLeaseVerifiesAndReadsBackAsSigned() {
    // GIVEN a lease signed with the site key
    Lease lease = sampleLease("device-thumbprint", NOW.minusSeconds(60), Duration.ofDays(7), SITE_KEY.keyId());
    String token = new LeaseSigner(SITE_KEY).sign(lease);

    // WHEN an appliance verifies it THEN it is exactly the lease that was signed, and clients read the same
    assertThat(TRUST.verify(token, NOW)).isEqualTo(lease);
    assertThat(Lease.read(token)).isEqualTo(lease);
  }

  @Test
  void everySingleBitFlipOfALeaseIsRefused() {
    // GIVEN a valid lease token, as bytes
    byte[] bytes = sampleToken().getBytes(StandardCharsets.ISO_8859_1);

    // WHEN any one bit of it flips THEN verification refuses it with a lease rejection, never anything else
    for (int bit = 0; bit < bytes.length * 8; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      String tampered = new String(flipped, StandardCharsets.ISO_8859_1);
      int position = bit;
      assertThatThrownBy(() -> TRUST.verify(tampered, NOW)).as("bit %d", position).isInstanceOf(LeaseRejected.class);
    }
  }

  @Test
  void everySingleBitFlipOfAProofIsRefused() throws Exception {
    // GIVEN a proof signed with a device key
    KeyPair device = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String publicKey = Base64.getEncoder().encodeToString(device.getPublic().getEncoded());
    String proof = LeaseProof.create("lease-1", "shell", NOW, device.getPrivate(), publicKey);
    LeaseProof.Verified verified = LeaseProof.verify(proof);
    assertThat(verified.proof().leaseId()).isEqualTo("lease-1");
    assertThat(verified.proof().issuedAt()).isEqualTo(NOW);
    assertThat(verified.thumbprint()).isEqualTo(dev.outpost.crypto.DeviceKeys.thumbprint(
        device.getPublic().getEncoded()));

    // WHEN any one bit flips THEN the proof is refused
    byte[] bytes = proof.getBytes(StandardCharsets.ISO_8859_1);
    for (int bit = 0; bit < bytes.length * 8; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      String tampered = new String(flipped, StandardCharsets.ISO_8859_1);
      int position = bit;
      assertThatThrownBy(() -> LeaseProof.verify(tampered)).as("bit %d", position)
          .isInstanceOf(LeaseRejected.class);
    }
  }

  @Test
  void aLeaseOfAnotherSitesKeyIsRefused() {
    // GIVEN a lease signed by another site's key, naming it or naming this site's key id
    SigningKey other = SigningKey.generate();
    String foreign = new LeaseSigner(other).sign(sampleLease("d", NOW, Duration.ofDays(7), other.keyId()));
    SigningKey impostor = new SigningKey(SITE_KEY.keyId(), other.privateKey(), other.publicKey());
    String forged = new LeaseSigner(impostor).sign(sampleLease("d", NOW, Duration.ofDays(7), SITE_KEY.keyId()));

    // THEN both are refused: the unknown key by its id, the forgery by its signature
    assertThatThrownBy(() -> TRUST.verify(foreign, NOW)).isInstanceOf(LeaseRejected.class)
        .hasMessageContaining("does not know");
    assertThatThrownBy(() -> TRUST.verify(forged, NOW)).isInstanceOf(LeaseRejected.class)
        .hasMessageContaining("signature");
  }

  @Test
  void expiryRetiredKeysAndOtherSitesAreChecked() {
    String token = sampleToken();
    // an expired lease
    assertThatThrownBy(() -> TRUST.verify(token, NOW.plus(Duration.ofDays(8)))).isInstanceOf(LeaseRejected.class)
        .hasMessageContaining("expired");
    // a key retired and past its verification time
    LeaseTrust retired = new LeaseTrust("site-a", List.of(new TrustedKey(SITE_KEY.keyId(), SITE_KEY.publicKey(),
        NOW.minusSeconds(1))), List.of());
    assertThatThrownBy(() -> retired.verify(token, NOW)).isInstanceOf(LeaseRejected.class)
        .hasMessageContaining("retired");
    // a retired key still verifies what it signed until then
    LeaseTrust stillValid = new LeaseTrust("site-a", List.of(new TrustedKey(SITE_KEY.keyId(), SITE_KEY.publicKey(),
        NOW.plus(Duration.ofDays(7)))), List.of());
    assertThat(stillValid.verify(token, NOW).id()).isEqualTo("3f1c0e42-1111-4a4a-9b9b-123456789abc");
    // the same key trusted for another site
    LeaseTrust otherSite = new LeaseTrust("site-b", TRUST.keys(), List.of());
    assertThatThrownBy(() -> otherSite.verify(token, NOW)).isInstanceOf(LeaseRejected.class)
        .hasMessageContaining("another site");
    // nothing trusted yet
    assertThatThrownBy(() -> LeaseTrust.NONE.verify(token, NOW)).isInstanceOf(LeaseRejected.class);
  }

  @Test
  void revocationsVoidWhatTheyName() {
    Lease lease = TRUST.verify(sampleToken(), NOW);
    Instant issued = lease.issuedAt();
    assertThat(withRevocation(Revocation.Kind.USER, lease.user().id(), null, issued.plusSeconds(1)).revoked(lease))
        .isPresent();
    assertThat(withRevocation(Revocation.Kind.USER, lease.user().id(), null, issued.minusSeconds(1)).revoked(lease))
        .as("a lease issued after the user's revocation").isEmpty();
    assertThat(withRevocation(Revocation.Kind.DEVICE, lease.device(), null, issued.plusSeconds(1)).revoked(lease))
        .isPresent();
    assertThat(withRevocation(Revocation.Kind.DEVICE, lease.device(), "someone-else", issued.plusSeconds(1))
        .revoked(lease)).as("a sign-out of another user on the same device").isEmpty();
    assertThat(withRevocation(Revocation.Kind.LEASE, lease.id(), null, issued.minusSeconds(5)).revoked(lease))
        .isPresent();
    assertThat(withRevocation(Revocation.Kind.LEASE, "another-lease", null, issued.plusSeconds(5)).revoked(lease))
        .isEmpty();
  }

  private static LeaseTrust withRevocation(Revocation.Kind kind, String subject, String userId, Instant at) {
    return TRUST.withRevocations(List.of(Revocation.of(kind, subject, userId, at, "test", "admin")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"b\":1,\"a\":[true,false,\"x\"]}|{\"a\":[true,false,\"x\"],\"b\":1}",
      "{\"s\":\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 é €\"}"
          + "|{\"s\":\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 é €\"}",
      "{\"n\":-9007199254740991,\"z\":0}|{\"n\":-9007199254740991,\"z\":0}",
      "{\"B\":1,\"a\":2,\"_\":3}|{\"B\":1,\"_\":3,\"a\":2}"})
  void canonicalJsonIsOneSpellingPerValue(String input, String canonical) {
    assertThat(new String(CanonicalJson.encode(new JsonObject(input)), StandardCharsets.UTF_8)).isEqualTo(canonical);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"{\"f\":1.5}", "{\"n\":null}", "{\"big\":9007199254740992}"})
  void canonicalJsonRefusesWhatItCannotSpellExactly(String input) {
    assertThatThrownBy(() -> CanonicalJson.encode(new JsonObject(input))).isInstanceOf(IllegalArgumentException.class);
  }
}
