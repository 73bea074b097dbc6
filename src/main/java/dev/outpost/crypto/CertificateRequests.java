package dev.outpost.crypto;

import java.io.IOException;
import java.io.StringWriter;
import java.io.StringReader;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** PKCS#10 certificate requests: how a key pair asks for a certificate without its private half leaving home. */
public final class CertificateRequests {

  private static final int MAX_PEM_CHARS = 16 * 1024;

  private CertificateRequests() {
  }

  /** A PEM {@code CERTIFICATE REQUEST} for the pair's public key, signed with its private key (EC). */
  public static String pem(KeyPair pair, String subject) {
    try {
      PKCS10CertificationRequest request = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject),
          pair.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      StringWriter out = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
        writer.writeObject(request);
      }
      return out.toString();
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot build a certificate request", e);
    }
  }

  /**
   * The public key of a PEM {@code CERTIFICATE REQUEST}, once its signature shows the requester holds the private
   * half; EC keys of at least 256 bits or RSA keys of at least 2048 bits.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static PublicKey publicKey(String pem) {
    if (pem == null || pem.length() > MAX_PEM_CHARS) {
      throw new IllegalArgumentException("the certificate request is missing or too long");
    }
    Object parsed;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      parsed = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the certificate request is not valid PEM");
    }
    if (!(parsed instanceof PKCS10CertificationRequest request)) {
      throw new IllegalArgumentException("not a PEM PKCS#10 certificate request");
    }
    PublicKey key;
    boolean signed;
    try {
      key = new JcaPEMKeyConverter().getPublicKey(request.getSubjectPublicKeyInfo());
      signed = request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (IOException | OperatorCreationException | PKCSException | RuntimeException e) {
      throw new IllegalArgumentException("the certificate request cannot be verified: " + e.getMessage());
    }
    if (!signed) {
      throw new IllegalArgumentException("the certificate request's signature does not match its key");
    }
    boolean strong = key instanceof ECPublicKey ec && ec.getParams().getOrder().bitLength() >= 256
        || key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= 2048;
    if (!strong) {
      throw new IllegalArgumentException("the key must be EC (P-256 or larger) or RSA (2048 bits or more)");
    }
    return key;
  }

  /** Whether two public keys are the same key, whichever providers made the objects (by their encoded form). */
  public static boolean sameKey(PublicKey a, PublicKey b) {
    return java.util.Arrays.equals(a.getEncoded(), b.getEncoded());
  }

  /** A PEM {@code PUBLIC KEY}. */
  public static String publicKeyPem(KeyPair pair) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(pair.getPublic());
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a public key", e);
    }
    return out.toString();
  }
}
