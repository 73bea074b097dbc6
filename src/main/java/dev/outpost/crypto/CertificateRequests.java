package dev.outpost.crypto;

import java.io.IOException;
import java.io.StringWriter;
import java.security.KeyPair;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** PKCS#10 certificate requests: how a key pair asks for a certificate without its private half leaving home. */
public final class CertificateRequests {

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
