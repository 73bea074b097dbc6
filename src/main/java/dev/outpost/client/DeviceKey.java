package dev.outpost.client;

import dev.outpost.crypto.Pem;
import dev.outpost.identity.RememberedDevices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;

/**
 * This device's Ed25519 key pair, made on the first sign-in and kept across sign-outs: leases are bound to it
 * and launches through a lease are signed with it. The public key travels as base64 of its X.509
 * SubjectPublicKeyInfo.
 */
final class DeviceKey {

  static final String PRIVATE_FILE = "device-key.pem";
  static final String PUBLIC_FILE = "device-key.pub";
  static final String ALGORITHM = "Ed25519";

  private final PublicKey publicKey;

  private DeviceKey(PublicKey publicKey) {
    this.publicKey = publicKey;
  }

  /** Loads the device key from the home, or makes and stores one. */
  static DeviceKey loadOrCreate(ClientHome home) {
    DeviceKey existing = load(home);
    if (existing != null) {
      return existing;
    }
    try {
      KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
      home.write(PRIVATE_FILE, Pem.encode(pair.getPrivate()));
      home.write(PUBLIC_FILE, Pem.encode(pair.getPublic()));
      return new DeviceKey(pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new ClientFailure("this Java has no " + ALGORITHM + " keys: " + e.getMessage(), e);
    }
  }

  /** The public key as sent in {@code deviceKey}: base64 of the DER SubjectPublicKeyInfo. */
  String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey.getEncoded());
  }

  /** The device key stored in the home, or {@code null} when there is none. */
  static DeviceKey load(ClientHome home) {
    Path pub = home.file(PUBLIC_FILE);
    return Files.isRegularFile(pub) && Files.isRegularFile(home.file(PRIVATE_FILE)) ? new DeviceKey(read(pub)) : null;
  }

  /**
   * A proof that this device holds its key, for a sign-in as {@code username} with a remembered device: the time
   * and an Ed25519 signature of {@code RememberedDevices.proofInput} ({@code <epoch millis>.<base64url>}).
   */
  String signInProof(ClientHome home, String username, Instant now) {
    try {
      Signature signer = Signature.getInstance(ALGORITHM);
      signer.initSign(privateKey(home));
      signer.update(RememberedDevices.proofInput(username, now.toEpochMilli()));
      return now.toEpochMilli() + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new ClientFailure("cannot sign with the device key: " + e.getMessage(), e);
    }
  }

  /** The private key, to sign lease proofs with. */
  PrivateKey privateKey(ClientHome home) {
    try {
      return Pem.readPrivateKey(home.file(PRIVATE_FILE));
    } catch (IOException e) {
      throw new ClientFailure("cannot read the device key " + home.file(PRIVATE_FILE) + ": " + e.getMessage(), e);
    }
  }

  private static PublicKey read(Path file) {
    try {
      String pem = Files.readString(file, StandardCharsets.US_ASCII);
      String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new ClientFailure("cannot read the device key " + file + ": " + e.getMessage(), e);
    }
  }
}
