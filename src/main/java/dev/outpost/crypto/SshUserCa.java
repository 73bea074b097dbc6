package dev.outpost.crypto;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;

/**
 * The site's SSH user certificate authority: it signs short-lived OpenSSH user certificates that let the appliance
 * (browser terminals) and endpoint clients log in to session hosts whose sshd trusts it
 * ({@code TrustedUserCAKeys}), so that nobody types a host password. Its key (ECDSA P-256) is derived from the site
 * CA's private key, which every node of a site holds: every node signs with the same key and nothing new is
 * exchanged or stored. See docs/browser-sessions.md.
 */
public final class SshUserCa {

  /** Label of the derivation, so that this key never equals another key derived from the site CA. */
  private static final byte[] LABEL = "outpost ssh user ca v1".getBytes(StandardCharsets.US_ASCII);
  /** How long a certificate is valid by default: enough to log in, useless soon after. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofMinutes(5);
  /** A certificate is valid from a little before it is made, for hosts whose clocks run behind. */
  static final Duration BACKDATE = Duration.ofMinutes(1);
  /** What a browser terminal needs; forwarding of agents, ports and X11 is not granted. */
  static final Map<String, String> EXTENSIONS = Map.of("permit-pty", "");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyPair ca;
  private final String comment;

  private SshUserCa(KeyPair ca, String comment) {
    this.ca = ca;
    this.comment = comment;
  }

  /** The SSH user CA of the site whose CA key this is. */
  public static SshUserCa of(PrivateKey siteCaKey, String siteName) {
    Objects.requireNonNull(siteCaKey);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(siteCaKey.getEncoded(), "HmacSHA256"));
      return new SshUserCa(SiteCertificates.derivedKeyPair(mac.doFinal(LABEL)),
          "outpost-user-ca@" + siteName.replaceAll("[^A-Za-z0-9._-]", "_"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** The line for a host's {@code TrustedUserCAKeys} file: {@code ecdsa-sha2-nistp256 AAAA... outpost-user-ca@SITE}. */
  public String publicKeyLine() {
    return PublicKeyEntry.toString(ca.getPublic()) + " " + comment;
  }

  /** A fresh key pair whose public half is a certificate for this one login, valid until {@code now + validity}. */
  public Certified sign(String keyId, String login, Instant now, Duration validity) {
    KeyPair user = SiteCertificates.newKeyPair();
    OpenSshCertificate certificate = certificate(user.getPublic(), keyId, login, now, validity);
    return new Certified(new KeyPair(certificate, user.getPrivate()), certificate);
  }

  /**
   * A certificate for a public key whose private half stays with its owner (an endpoint client), as OpenSSH writes
   * it ({@code ...-cert-v01@openssh.com AAAA...}).
   */
  public String certify(PublicKey key, String keyId, String login, Instant now, Duration validity) {
    return PublicKeyEntry.toString(certificate(key, keyId, login, now, validity));
  }

  private OpenSshCertificate certificate(PublicKey key, String keyId, String login, Instant now, Duration validity) {
    Objects.requireNonNull(login);
    try {
      return OpenSshCertificateBuilder.userCertificate()
          .publicKey(key)
          .serial(RANDOM.nextLong() & Long.MAX_VALUE)
          .id(keyId)
          .principals(List.of(login))
          .validAfter(now.minus(BACKDATE))
          .validBefore(now.plus(validity))
          .extensions(EXTENSIONS)
          .sign(ca);
    } catch (Exception e) {
      throw new IllegalStateException("the SSH user certificate could not be signed: " + e.getMessage(), e);
    }
  }

  /**
   * A key pair to log in with (its public half is the certificate, as MINA SSHD offers it) and the certificate.
   */
  public record Certified(KeyPair keyPair, OpenSshCertificate certificate) {

    /** The certificate as OpenSSH writes it ({@code ecdsa-sha2-nistp256-cert-v01@openssh.com AAAA...}). */
    public String certificateLine() {
      return PublicKeyEntry.toString(certificate);
    }

    /** The private key in OpenSSH's format, for a client that logs in with {@code ssh -i}. */
    public String privateKeyText() {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(new KeyPair(certificate.getCertPubKey(),
            keyPair.getPrivate()), "outpost", null, out);
        return out.toString(StandardCharsets.US_ASCII);
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("the private key could not be written: " + e.getMessage(), e);
      }
    }
  }
}
