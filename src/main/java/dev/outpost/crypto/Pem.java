package dev.outpost.crypto;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads and writes PEM-encoded certificates and PKCS#8 private keys. */
public final class Pem {

  private static final Base64.Encoder MIME = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  private Pem() {
  }

  public static String encode(X509Certificate certificate) {
    try {
      return block("CERTIFICATE", certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }

  public static String encode(PrivateKey key) {
    return block("PRIVATE KEY", key.getEncoded());
  }

  private static String block(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + MIME.encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  public static X509Certificate readCertificate(Path file) throws IOException {
    return parseCertificate(Files.readString(file, StandardCharsets.US_ASCII));
  }

  public static X509Certificate parseCertificate(String pem) throws IOException {
    Object object = parse(new StringReader(pem));
    if (!(object instanceof X509CertificateHolder holder)) {
      throw new IOException("not a PEM certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new IOException("invalid certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Every certificate of a PEM text that holds one or more (a CA bundle), in order.
   *
   * @throws IOException when it holds none, or something other than certificates
   */
  public static java.util.List<X509Certificate> parseCertificates(String pem) throws IOException {
    java.util.List<X509Certificate> certificates = new java.util.ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (!(object instanceof X509CertificateHolder holder)) {
          throw new IOException("not a PEM certificate");
        }
        try {
          certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
        } catch (CertificateException e) {
          throw new IOException("invalid certificate: " + e.getMessage(), e);
        }
      }
    }
    if (certificates.isEmpty()) {
      throw new IOException("no PEM certificate");
    }
    return certificates;
  }

  public static String encode(java.security.PublicKey key) {
    return block("PUBLIC KEY", key.getEncoded());
  }

  /** Parses a PEM SubjectPublicKeyInfo ("PUBLIC KEY"). */
  public static java.security.PublicKey parsePublicKey(String pem) throws IOException {
    if (pem == null) {
      throw new IOException("no public key");
    }
    Object object = parse(new StringReader(pem));
    if (!(object instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo info)) {
      throw new IOException("not a PEM public key");
    }
    return new JcaPEMKeyConverter().getPublicKey(info);
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    return privateKey(parse(Files.newBufferedReader(file, StandardCharsets.US_ASCII)), file.toString());
  }

  public static PrivateKey parsePrivateKey(String pem) throws IOException {
    return privateKey(parse(new StringReader(pem)), "the given text");
  }

  private static PrivateKey privateKey(Object object, String source) throws IOException {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    if (object instanceof PrivateKeyInfo info) {
      return converter.getPrivateKey(info);
    }
    if (object instanceof PEMKeyPair pair) {
      return converter.getKeyPair(pair).getPrivate();
    }
    throw new IOException("not a PEM private key: " + source);
  }

  private static Object parse(Reader reader) throws IOException {
    try (PEMParser parser = new PEMParser(reader)) {
      return parser.readObject();
    }
  }
}
