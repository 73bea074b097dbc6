package dev.outpost.hosts.impl;

import dev.outpost.error.ClientErrorException;
import java.io.IOException;
import java.io.StringReader;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/** The public key an agent asks to have certified: from a PKCS#10 request (signature checked) or a bare PEM key. */
final class PublicKeys {

  private static final int MAX_PEM_CHARS = 16 * 1024;

  private PublicKeys() {
  }

  /** The key of a PEM {@code CERTIFICATE REQUEST}, after checking it is signed by that key's private half. */
  static PublicKey fromCsr(String pem) {
    if (!(parse(pem, "csr") instanceof PKCS10CertificationRequest csr)) {
      throw ClientErrorException.validation("field 'csr' must be a PEM PKCS#10 certificate request");
    }
    PublicKey key = acceptable(convert(csr.getSubjectPublicKeyInfo(), "csr"));
    try {
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw ClientErrorException.validation("the certificate request's signature does not match its key");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw ClientErrorException.validation("the certificate request cannot be verified: " + e.getMessage());
    }
    return key;
  }

  /** A PEM {@code PUBLIC KEY}. */
  static PublicKey fromPem(String pem) {
    if (!(parse(pem, "publicKey") instanceof SubjectPublicKeyInfo info)) {
      throw ClientErrorException.validation("field 'publicKey' must be a PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
    return acceptable(convert(info, "publicKey"));
  }

  private static Object parse(String pem, String field) {
    if (pem.length() > MAX_PEM_CHARS) {
      throw ClientErrorException.validation("field '" + field + "' is too long");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw ClientErrorException.validation("field '" + field + "' is not valid PEM");
    }
  }

  private static PublicKey convert(SubjectPublicKeyInfo info, String field) {
    try {
      return new JcaPEMKeyConverter().getPublicKey(info);
    } catch (IOException | RuntimeException e) {
      throw ClientErrorException.validation("field '" + field + "' holds a key of an unknown type");
    }
  }

  /** EC keys of at least 256 bits or RSA keys of at least 2048 bits. */
  private static PublicKey acceptable(PublicKey key) {
    if (key instanceof ECPublicKey ec && ec.getParams().getOrder().bitLength() >= 256) {
      return key;
    }
    if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= 2048) {
      return key;
    }
    throw ClientErrorException.validation("the key must be EC (P-256 or larger) or RSA (2048 bits or more)");
  }
}
