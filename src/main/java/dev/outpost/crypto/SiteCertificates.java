package dev.outpost.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's certificate authority and this node's TLS certificate, kept under {@code <data-dir>/tls}.
 * Created on first start (EC P-256, Bouncy Castle); loaded on every later start. The node certificate is
 * re-issued when the names it must cover change or when it nears expiry.
 */
public final class SiteCertificates {

  private static final Logger LOG = LoggerFactory.getLogger(SiteCertificates.class);
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration NODE_VALIDITY = Duration.ofDays(825);
  private static final Instant BUS_CA_FROM = Instant.parse("2025-01-01T00:00:00Z");
  private static final Instant BUS_CA_UNTIL = Instant.parse("2125-01-01T00:00:00Z");
  private static final Duration RENEW_BEFORE = Duration.ofDays(30);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate caCertificate;
  private final PrivateKey caKey;
  private final X509Certificate nodeCertificate;
  private final PrivateKey nodeKey;
  private final boolean created;

  private SiteCertificates(X509Certificate caCertificate, PrivateKey caKey, X509Certificate nodeCertificate,
      PrivateKey nodeKey, boolean created) {
    this.caCertificate = caCertificate;
    this.caKey = caKey;
    this.nodeCertificate = nodeCertificate;
    this.nodeKey = nodeKey;
    this.created = created;
  }

  /**
   * Loads the CA and node certificate from {@code tlsDir}, creating whatever is missing. Blocking: call it
   * before the event loop starts or from a worker.
   */
  public static SiteCertificates loadOrCreate(Path tlsDir, String siteName, Collection<String> extraNames)
      throws IOException {
    Path caCert = tlsDir.resolve("ca.crt");
    Path caKeyFile = tlsDir.resolve("ca.key");
    Path nodeCert = tlsDir.resolve("node.crt");
    Path nodeKeyFile = tlsDir.resolve("node.key");
    boolean created = false;
    X509Certificate ca;
    PrivateKey caKey;
    if (Files.exists(caCert) && Files.exists(caKeyFile)) {
      ca = Pem.readCertificate(caCert);
      caKey = Pem.readPrivateKey(caKeyFile);
    } else {
      KeyPair pair = newKeyPair();
      ca = selfSignedCa(pair, siteName);
      caKey = pair.getPrivate();
      SecureFiles.writePrivate(caKeyFile, Pem.encode(caKey));
      SecureFiles.writePrivate(caCert, Pem.encode(ca));
      created = true;
      LOG.info("Created site certificate authority in {}", tlsDir);
    }
    Set<String> names = nodeNames(extraNames);
    X509Certificate node = null;
    PrivateKey nodeKey = null;
    if (!created && Files.exists(nodeCert) && Files.exists(nodeKeyFile)) {
      node = Pem.readCertificate(nodeCert);
      nodeKey = Pem.readPrivateKey(nodeKeyFile);
      if (!covers(node, names) || !issuedBy(node, ca) || expiresSoon(node)) {
        LOG.info("Re-issuing the node certificate: its names, issuer or validity changed");
        node = null;
      }
    }
    if (node == null) {
      KeyPair pair = newKeyPair();
      node = issue(ca, caKey, pair, "CN=" + firstName(names), names, NODE_VALIDITY, true);
      nodeKey = pair.getPrivate();
      SecureFiles.writePrivate(nodeKeyFile, Pem.encode(nodeKey));
      SecureFiles.writePrivate(nodeCert, Pem.encode(node));
    }
    return new SiteCertificates(ca, caKey, node, nodeKey, created);
  }

  /** Whether {@code tlsDir} holds a site CA (certificate and key) already. */
  public static boolean hasCa(Path tlsDir) {
    return Files.exists(tlsDir.resolve("ca.crt")) && Files.exists(tlsDir.resolve("ca.key"));
  }

  /**
   * Stores a site CA taken from another node of the site in {@code tlsDir} (owner-only, like one created here)
   * and issues this node's certificate from it. Blocking: call it from a worker.
   *
   * @throws IOException when the certificate or key cannot be read, the key is not the certificate's, the
   *     certificate is no CA, or the files cannot be written
   */
  public static SiteCertificates adopt(Path tlsDir, String caPem, String caKeyPem, Collection<String> extraNames)
      throws IOException {
    X509Certificate ca = Pem.parseCertificate(caPem);
    PrivateKey key = Pem.parsePrivateKey(caKeyPem);
    if (ca.getBasicConstraints() < 0) {
      throw new IOException("the adopted certificate is not a CA");
    }
    if (!keyMatches(key, ca)) {
      throw new IOException("the adopted CA key does not belong to its certificate");
    }
    SecureFiles.writePrivate(tlsDir.resolve("ca.key"), Pem.encode(key));
    SecureFiles.writePrivate(tlsDir.resolve("ca.crt"), Pem.encode(ca));
    LOG.info("Adopted the site certificate authority {} in {}", Fingerprints.display(Fingerprints.sha256(ca)),
        tlsDir);
    return loadOrCreate(tlsDir, "", extraNames);
  }

  private static boolean keyMatches(PrivateKey key, X509Certificate ca) {
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(ca.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  public X509Certificate nodeCertificate() {
    return nodeCertificate;
  }

  public PrivateKey nodeKey() {
    return nodeKey;
  }

  /** Whether this start created the CA (a brand-new site). */
  public boolean created() {
    return created;
  }

  /** Compact SHA-256 fingerprint of the CA certificate. */
  public String caFingerprint() {
    return Fingerprints.sha256(caCertificate);
  }

  public String caPem() {
    return Pem.encode(caCertificate);
  }

  /** The CA's private key, for {@link SiteCaSeal} only: it leaves this package sealed or not at all. */
  String caKeyPem() {
    return Pem.encode(caKey);
  }

  public String nodeCertificatePem() {
    return Pem.encode(nodeCertificate);
  }

  public String nodeKeyPem() {
    return Pem.encode(nodeKey);
  }

  /**
   * Issues a certificate signed by the site CA, e.g. a client certificate for an enrolled agent.
   *
   * @param subject distinguished name, e.g. {@code CN=host-1,OU=agent}
   * @param server whether the certificate may also serve TLS (server auth)
   */
  public X509Certificate issue(KeyPair subjectKey, String subject, Collection<String> names, Duration validity,
      boolean server) {
    return issue(caCertificate, caKey, subjectKey, subject, new LinkedHashSet<>(names), validity, server);
  }

  /** Issues a certificate for a public key whose private half stays with its owner (enrollment). */
  public X509Certificate issue(java.security.PublicKey subjectKey, String subject, Collection<String> names,
      Duration validity, boolean server) {
    return issue(new KeyPair(subjectKey, null), subject, names, validity, server);
  }

  /**
   * The certificate authority of the nodes' event bus and this node's certificate from it, in memory. The CA's key
   * is derived from {@code seed} (a key derived from {@code cluster.secret}), so every node of a site holds the same
   * key and trusts the others' certificates without exchanging anything, while a site CA certificate (which agents
   * and appliances of a hub also chain to) is of no use on the bus.
   */
  public static SiteCertificates busAuthority(byte[] seed, String nodeName) {
    KeyPair ca = derivedKeyPair(seed);
    // the same serial and validity on every node, so that each node's copy of the CA certificate is the issuer that
    // the others' certificates name (their authority key identifier carries issuer and serial)
    X509Certificate caCertificate = selfSignedCa(ca, "cluster bus", new BigInteger(1, java.util.Arrays.copyOf(seed,
        16)).add(BigInteger.ONE), BUS_CA_FROM, BUS_CA_UNTIL);
    KeyPair node = newKeyPair();
    X509Certificate nodeCertificate = issue(caCertificate, ca.getPrivate(), node, "CN=" + nodeName + ",OU=node",
        Set.of(), NODE_VALIDITY, true);
    return new SiteCertificates(caCertificate, ca.getPrivate(), nodeCertificate, node.getPrivate(), false);
  }

  /** A P-256 key pair whose private key is {@code seed} reduced into [1, n-1]: the same seed, the same pair. */
  static KeyPair derivedKeyPair(byte[] seed) {
    try {
      java.security.spec.ECParameterSpec params = ((java.security.interfaces.ECPublicKey) newKeyPair().getPublic())
          .getParams();
      BigInteger order = params.getOrder();
      BigInteger d = new BigInteger(1, seed).mod(order.subtract(BigInteger.ONE)).add(BigInteger.ONE);
      org.bouncycastle.math.ec.ECPoint q = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp256r1").getG()
          .multiply(d).normalize();
      java.security.KeyFactory factory = java.security.KeyFactory.getInstance("EC");
      PrivateKey privateKey = factory.generatePrivate(new java.security.spec.ECPrivateKeySpec(d, params));
      java.security.PublicKey publicKey = factory.generatePublic(new java.security.spec.ECPublicKeySpec(
          new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
          params));
      return new KeyPair(publicKey, privateKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available", e);
    }
  }

  /** The site's SSH user CA, derived from this site CA's key (the key itself never leaves this object). */
  public SshUserCa sshUserCa(String siteName) {
    return SshUserCa.of(caKey, siteName);
  }

  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available", e);
    }
  }

  private static X509Certificate selfSignedCa(KeyPair pair, String siteName) {
    Instant now = Instant.now();
    return selfSignedCa(pair, siteName, serial(), now.minus(Duration.ofHours(1)), now.plus(CA_VALIDITY));
  }

  private static X509Certificate selfSignedCa(KeyPair pair, String siteName, BigInteger serial, Instant from,
      Instant until) {
    try {
      X500Name name = new X500Name("CN=Outpost site CA " + siteName + ",O=Outpost");
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial,
          Date.from(from), Date.from(until), name, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()));
      return sign(builder, pair.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the site CA", e);
    }
  }

  private static X509Certificate issue(X509Certificate ca, PrivateKey caKey, KeyPair subjectKey, String subject,
      Set<String> names, Duration validity, boolean server) {
    try {
      Instant now = Instant.now();
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      List<KeyPurposeId> purposes = new ArrayList<>(List.of(KeyPurposeId.id_kp_clientAuth));
      if (server) {
        purposes.add(KeyPurposeId.id_kp_serverAuth);
      }
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), new X500Name(subject),
          subjectKey.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)))
          .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey.getPublic()));
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.stream().map(SiteCertificates::generalName).toArray(GeneralName[]::new)));
      }
      return sign(builder, caKey);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a certificate for " + subject, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign", e);
    }
  }

  private static GeneralName generalName(String name) {
    boolean ip = name.matches("[0-9.]+") || name.contains(":");
    return new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name);
  }

  private static BigInteger serial() {
    return new BigInteger(128, RANDOM).abs().add(BigInteger.ONE);
  }

  private static Set<String> nodeNames(Collection<String> extra) {
    Set<String> names = new LinkedHashSet<>();
    names.add(localHostName());
    names.add("localhost");
    names.add("127.0.0.1");
    names.add("::1");
    names.addAll(extra);
    names.removeIf(Objects::isNull);
    names.removeIf(String::isBlank);
    return names;
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  private static String firstName(Set<String> names) {
    return names.iterator().next();
  }

  private static boolean covers(X509Certificate cert, Set<String> names) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return names.isEmpty();
      }
      Set<String> present = new LinkedHashSet<>();
      for (List<?> san : sans) {
        present.add(normalizeIp(String.valueOf(san.get(1))));
      }
      return names.stream().map(SiteCertificates::normalizeIp).allMatch(present::contains);
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  private static String normalizeIp(String name) {
    if (name.contains(":")) {
      try {
        return InetAddress.getByName(name).getHostAddress();
      } catch (UnknownHostException e) {
        return name;
      }
    }
    return name;
  }

  private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static boolean expiresSoon(X509Certificate cert) {
    return cert.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE));
  }
}
