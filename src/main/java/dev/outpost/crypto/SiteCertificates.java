package dev.outpost.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
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
 * re-issued at start when the names it must cover change, when another CA issued it, or when it is past its
 * renewal point; while the node runs, {@link #renewNode} re-issues it in place.
 *
 * <p>The object is shared by every feature of a node and changes under them: a renewed node certificate, a site CA
 * rotation ({@link #beginRotation}, {@link #adopt(SiteCaRollover)}) and the end of its overlap replace one immutable
 * state at once, so a reader never sees a node certificate with another's key. Those who build TLS options from it
 * register with {@link #onChange} to rebuild them.
 *
 * <p>During a rotation's overlap both CAs are trusted (client certificates of either are accepted, agents are given
 * both), new certificates come from the new CA, and the node's chain carries, after the new CA, the new CA certified
 * by the old one ({@code tls/ca-cross.crt}) and the old CA itself, so that a client that trusts only the old CA, or
 * pins its fingerprint, still accepts the node.
 */
public final class SiteCertificates {

  private static final Logger LOG = LoggerFactory.getLogger(SiteCertificates.class);
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** Default validity of a node certificate (and of the in-memory event bus certificate). */
  public static final Duration NODE_VALIDITY = Duration.ofDays(825);
  private static final Instant BUS_CA_FROM = Instant.parse("2025-01-01T00:00:00Z");
  private static final Instant BUS_CA_UNTIL = Instant.parse("2125-01-01T00:00:00Z");
  /** Certificates start a little in the past, for clocks that are behind: an hour, a twentieth of a short life. */
  private static final Duration MAX_BACKDATE = Duration.ofHours(1);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String CA_CERT = "ca.crt";
  private static final String CA_KEY = "ca.key";
  private static final String NODE_CERT = "node.crt";
  private static final String NODE_KEY = "node.key";
  private static final String RETIRED_CA = "ca-retired.crt";
  private static final String CROSS = "ca-cross.crt";
  private static final String ROTATION = "ca-rotation.json";

  /**
   * How this node's certificate is issued and when it is renewed.
   *
   * @param validity how long a node certificate is valid
   * @param renewal when it is re-issued (at start when past its point; while running, by {@link #renewNode})
   */
  public record NodeTerms(Duration validity, RenewalSchedule renewal) {

    public static final NodeTerms DEFAULT = new NodeTerms(NODE_VALIDITY, RenewalSchedule.DEFAULT);

    public NodeTerms {
      Objects.requireNonNull(validity);
      Objects.requireNonNull(renewal);
      if (validity.isNegative() || validity.isZero()) {
        throw new IllegalArgumentException("a node certificate's validity must be positive");
      }
    }
  }

  /** A rotation's overlap: the CA it replaced, the new CA certified by it, and when the old one stops being trusted. */
  public record Rotation(X509Certificate retired, X509Certificate cross, Instant overlapUntil) {

    public Rotation {
      Objects.requireNonNull(retired);
      Objects.requireNonNull(cross);
      Objects.requireNonNull(overlapUntil);
    }
  }

  /** What changed, as {@link #onChange} listeners hear it. */
  public enum Change {
    /** The node certificate was renewed. */
    NODE_CERTIFICATE,
    /** The trusted CAs changed (a rotation began or its overlap ended); the node certificate may have, too. */
    TRUSTED_CAS
  }

  /** Everything that changes together. */
  private record State(X509Certificate ca, PrivateKey caKey, Rotation rotation, X509Certificate node,
      PrivateKey nodeKey) {
  }

  private final Path tlsDir;
  private final Set<String> names;
  private final NodeTerms terms;
  private final boolean created;
  private final List<java.util.function.Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
  private volatile State state;
  private volatile DerivedSshCa sshCa;

  private SiteCertificates(Path tlsDir, Set<String> names, NodeTerms terms, State state, boolean created) {
    this.tlsDir = tlsDir;
    this.names = Set.copyOf(names);
    this.terms = terms;
    this.state = state;
    this.created = created;
  }

  /**
   * Loads the CA and node certificate from {@code tlsDir}, creating whatever is missing. Blocking: call it
   * before the event loop starts or from a worker.
   */
  public static SiteCertificates loadOrCreate(Path tlsDir, String siteName, Collection<String> extraNames)
      throws IOException {
    return loadOrCreate(tlsDir, siteName, extraNames, NodeTerms.DEFAULT);
  }

  /** Like {@link #loadOrCreate(Path, String, Collection)}, the node certificate issued and renewed by {@code terms}. */
  public static SiteCertificates loadOrCreate(Path tlsDir, String siteName, Collection<String> extraNames,
      NodeTerms terms) throws IOException {
    Path caCert = tlsDir.resolve(CA_CERT);
    Path caKeyFile = tlsDir.resolve(CA_KEY);
    CredentialFiles caFiles = CredentialFiles.of(caKeyFile, caCert);
    CredentialFiles nodeFiles = CredentialFiles.of(tlsDir.resolve(NODE_KEY), tlsDir.resolve(NODE_CERT));
    if (Files.isDirectory(tlsDir)) {
      caFiles.recover();
      nodeFiles.recover();
    }
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
    Rotation rotation = readRotation(tlsDir, ca, Instant.now());
    Set<String> names = nodeNames(extraNames);
    X509Certificate node = null;
    PrivateKey nodeKey = null;
    if (!created && Files.exists(nodeFiles.certificate()) && Files.exists(nodeFiles.key())) {
      node = Pem.readCertificate(nodeFiles.certificate());
      nodeKey = Pem.readPrivateKey(nodeFiles.key());
      if (!covers(node, names) || !issuedBy(node, ca) || terms.renewal().due(node, Instant.now())) {
        LOG.info("Re-issuing the node certificate: its names, issuer or validity changed");
        node = null;
      }
    }
    State state = new State(ca, caKey, rotation, node, nodeKey);
    if (node == null) {
      state = withNewNode(state, names, terms.validity());
      nodeFiles.replace(Pem.encode(state.nodeKey()), Pem.encode(state.node()));
    }
    return new SiteCertificates(tlsDir, names, terms, state, created);
  }

  /** Whether {@code tlsDir} holds a site CA (certificate and key) already. */
  public static boolean hasCa(Path tlsDir) {
    return Files.exists(tlsDir.resolve(CA_CERT)) && Files.exists(tlsDir.resolve(CA_KEY));
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
    return adopt(tlsDir, caPem, caKeyPem, null, extraNames, NodeTerms.DEFAULT);
  }

  /**
   * Like {@link #adopt(Path, String, String, Collection)}, with the overlap of a rotation the site is in (or
   * {@code null}), issuing the node certificate by {@code terms}.
   */
  public static SiteCertificates adopt(Path tlsDir, String caPem, String caKeyPem, Rotation rotation,
      Collection<String> extraNames, NodeTerms terms) throws IOException {
    X509Certificate ca = Pem.parseCertificate(caPem);
    PrivateKey key = Pem.parsePrivateKey(caKeyPem);
    if (ca.getBasicConstraints() < 0) {
      throw new IOException("the adopted certificate is not a CA");
    }
    if (!CredentialFiles.matches(key, ca)) {
      throw new IOException("the adopted CA key does not belong to its certificate");
    }
    SecureFiles.createPrivateDirectories(tlsDir);
    CredentialFiles.of(tlsDir.resolve(CA_KEY), tlsDir.resolve(CA_CERT)).replace(Pem.encode(key), Pem.encode(ca));
    if (rotation != null) {
      writeRotation(tlsDir, rotation);
    }
    LOG.info("Adopted the site certificate authority {} in {}", Fingerprints.display(Fingerprints.sha256(ca)),
        tlsDir);
    return loadOrCreate(tlsDir, "", extraNames, terms);
  }

  public X509Certificate caCertificate() {
    return state.ca();
  }

  public X509Certificate nodeCertificate() {
    return state.node();
  }

  public PrivateKey nodeKey() {
    return state.nodeKey();
  }

  /** Whether this start created the CA (a brand-new site). */
  public boolean created() {
    return created;
  }

  /** Compact SHA-256 fingerprint of the CA certificate that issues new certificates. */
  public String caFingerprint() {
    return Fingerprints.sha256(state.ca());
  }

  /** The CA that issues new certificates, PEM. */
  public String caPem() {
    return Pem.encode(state.ca());
  }

  /** The CA's private key, for {@link SiteCaSeal} only: it leaves this package sealed or not at all. */
  String caKeyPem() {
    return Pem.encode(state.caKey());
  }

  public String nodeCertificatePem() {
    return Pem.encode(state.node());
  }

  public String nodeKeyPem() {
    return Pem.encode(state.nodeKey());
  }

  /** The rotation whose overlap runs now, if any. */
  public Optional<Rotation> rotation() {
    Rotation rotation = state.rotation();
    return rotation != null && Instant.now().isBefore(rotation.overlapUntil()) ? Optional.of(rotation)
        : Optional.empty();
  }

  /** The CAs whose certificates this node accepts: the current one, and during a rotation's overlap the old one. */
  public List<X509Certificate> trustedCas() {
    State current = state;
    return rotation().map(r -> List.of(current.ca(), r.retired())).orElse(List.of(current.ca()));
  }

  /** {@link #trustedCas()} as one PEM text, the current CA first (what agents store as {@code ca.crt}). */
  public String trustPem() {
    return trustedCas().stream().map(Pem::encode).collect(Collectors.joining());
  }

  /** Whether {@code fingerprint} (compact) is one of {@link #trustedCas()}. */
  public boolean trusts(String fingerprint) {
    return trustedCas().stream().anyMatch(ca -> Fingerprints.sha256(ca).equals(fingerprint));
  }

  /** The trusted CA that signed {@code certificate}, if any (validity is not checked here). */
  public Optional<X509Certificate> issuerOf(X509Certificate certificate) {
    return trustedCas().stream().filter(ca -> issuedBy(certificate, ca)).findFirst();
  }

  /**
   * The chain a listener presents: the node certificate and the current CA, and during an overlap also the new CA
   * certified by the old one and the old CA, so that clients trusting or pinning either CA find a path. Each
   * certificate's issuer is the next one's subject (key stores refuse chains that are not), and the new CA comes
   * before its cross certificate: a client that trusts it stops there, one that trusts the old CA goes on.
   */
  public String chainPem() {
    State current = state;
    StringBuilder chain = new StringBuilder(Pem.encode(current.node())).append(Pem.encode(current.ca()));
    rotation().ifPresent(r -> chain.append(Pem.encode(r.cross())).append(Pem.encode(r.retired())));
    return chain.toString();
  }

  /** How this node's certificate is issued and renewed. */
  public NodeTerms terms() {
    return terms;
  }

  /** Calls {@code listener} (on the thread that made the change) whenever the node certificate or the CAs change. */
  public void onChange(java.util.function.Consumer<Change> listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  /**
   * Re-issues this node's certificate from the current CA, with the same names and {@link NodeTerms#validity()},
   * stores it and tells the listeners. Blocking: call it from a worker.
   */
  public X509Certificate renewNode() throws IOException {
    synchronized (this) {
      State next = withNewNode(state, names, terms.validity());
      store(next);
      state = next;
    }
    LOG.info("Renewed the node certificate: valid until {}", state.node().getNotAfter().toInstant());
    changed(Change.NODE_CERTIFICATE);
    return state.node();
  }

  /**
   * A new site CA to take over from the current one, certified by it; the current CA stays trusted for
   * {@code overlap}. Nothing changes until it is adopted ({@link #adopt(SiteCaRollover)}), on this node and on the
   * others.
   */
  public SiteCaRollover beginRotation(String siteName, Duration overlap) {
    State current = state;
    KeyPair pair = newKeyPair();
    Instant now = Instant.now();
    // a name of its own, so that the two CAs of an overlap are told apart by name as well as by key
    X509Certificate ca = selfSignedCa(pair, siteName + " " + DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss'Z'")
        .withZone(ZoneOffset.UTC).format(now), serial(), now.minus(MAX_BACKDATE), now.plus(CA_VALIDITY));
    X509Certificate cross = crossCertificate(ca, current.ca(), current.caKey());
    return new SiteCaRollover(ca, pair.getPrivate(), new Rotation(current.ca(), cross, now.plus(overlap)));
  }

  /**
   * Makes {@code rollover}'s CA the one that issues, trusts the CA it replaced until its overlap ends, re-issues this
   * node's certificate from it, stores all of it and tells the listeners. Does nothing when it is the CA already.
   * Blocking: call it from a worker.
   *
   * @throws IllegalArgumentException when the rollover does not continue this node's CA (it replaces another)
   */
  public boolean adopt(SiteCaRollover rollover) throws IOException {
    if (rollover.rotation() == null) {
      throw new IllegalArgumentException("the site CA " + Fingerprints.display(rollover.caFingerprint())
          + " does not take over from another");
    }
    synchronized (this) {
      State current = state;
      if (Fingerprints.sha256(current.ca()).equals(Fingerprints.sha256(rollover.ca()))) {
        return false;
      }
      if (!Fingerprints.sha256(current.ca()).equals(Fingerprints.sha256(rollover.rotation().retired()))) {
        throw new IllegalArgumentException("the new site CA replaces " + Fingerprints.display(Fingerprints.sha256(
            rollover.rotation().retired())) + ", not this node's " + Fingerprints.display(Fingerprints.sha256(
            current.ca())));
      }
      requireStored();
      writeRotation(tlsDir, rollover.rotation());
      CredentialFiles.of(tlsDir.resolve(CA_KEY), tlsDir.resolve(CA_CERT)).replace(Pem.encode(rollover.key()),
          Pem.encode(rollover.ca()));
      State next = withNewNode(new State(rollover.ca(), rollover.key(), rollover.rotation(), null, null), names,
          terms.validity());
      store(next);
      state = next;
    }
    LOG.info("The site CA is now {}; {} stays trusted until {}", Fingerprints.display(caFingerprint()),
        Fingerprints.display(Fingerprints.sha256(rollover.rotation().retired())), rollover.rotation().overlapUntil());
    changed(Change.TRUSTED_CAS);
    return true;
  }

  /**
   * Ends a rotation's overlap once its time is up: the old CA is no longer trusted nor sent, and its files go.
   * Blocking: call it from a worker. Returns whether it ended now.
   */
  public boolean endOverlapIfDue(Instant now) throws IOException {
    synchronized (this) {
      State current = state;
      if (current.rotation() == null || now.isBefore(current.rotation().overlapUntil())) {
        return false;
      }
      if (tlsDir != null) {
        deleteRotation(tlsDir);
      }
      state = new State(current.ca(), current.caKey(), null, current.node(), current.nodeKey());
    }
    LOG.info("The overlap of the site CA rotation ended: only {} is trusted now", Fingerprints.display(
        caFingerprint()));
    changed(Change.TRUSTED_CAS);
    return true;
  }

  /** The current state's rollover material for {@link SiteCaSeal} (this node's CA, with the rotation it is in). */
  SiteCaRollover current() {
    State current = state;
    return new SiteCaRollover(current.ca(), current.caKey(), rotation().orElse(null));
  }

  private void requireStored() {
    if (tlsDir == null) {
      throw new IllegalStateException("these certificates live in memory only and do not rotate");
    }
  }

  private void store(State next) throws IOException {
    if (tlsDir != null) {
      CredentialFiles.of(tlsDir.resolve(NODE_KEY), tlsDir.resolve(NODE_CERT)).replace(Pem.encode(next.nodeKey()),
          Pem.encode(next.node()));
    }
  }

  private void changed(Change change) {
    for (java.util.function.Consumer<Change> listener : listeners) {
      try {
        listener.accept(change);
      } catch (RuntimeException e) {
        LOG.warn("A user of the node's certificates could not take the new ones: {}", e.toString());
      }
    }
  }

  private static State withNewNode(State state, Set<String> names, Duration validity) {
    KeyPair pair = newKeyPair();
    X509Certificate node = issue(state.ca(), state.caKey(), pair, "CN=" + firstName(names), names, validity, true);
    return new State(state.ca(), state.caKey(), state.rotation(), node, pair.getPrivate());
  }

  /** The rotation stored in {@code tlsDir} when it continues {@code ca} and its overlap has not ended. */
  private static Rotation readRotation(Path tlsDir, X509Certificate ca, Instant now) throws IOException {
    Path marker = tlsDir.resolve(ROTATION);
    if (!Files.exists(marker)) {
      return null;
    }
    try {
      Instant until = Instant.parse(new io.vertx.core.json.JsonObject(Files.readString(marker,
          StandardCharsets.UTF_8)).getString("overlapUntil"));
      X509Certificate retired = Pem.readCertificate(tlsDir.resolve(RETIRED_CA));
      X509Certificate cross = Pem.readCertificate(tlsDir.resolve(CROSS));
      boolean continues = CertificateRequests.sameKey(cross.getPublicKey(), ca.getPublicKey())
          && issuedBy(cross, retired)
          && !Fingerprints.sha256(retired).equals(Fingerprints.sha256(ca));
      if (continues && now.isBefore(until)) {
        return new Rotation(retired, cross, until);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Ignoring the unreadable site CA rotation in {}: {}", tlsDir, e.getMessage());
    }
    deleteRotation(tlsDir);
    return null;
  }

  private static void writeRotation(Path tlsDir, Rotation rotation) throws IOException {
    SecureFiles.writePrivate(tlsDir.resolve(RETIRED_CA), Pem.encode(rotation.retired()));
    SecureFiles.writePrivate(tlsDir.resolve(CROSS), Pem.encode(rotation.cross()));
    SecureFiles.writePrivate(tlsDir.resolve(ROTATION), new io.vertx.core.json.JsonObject()
        .put("overlapUntil", rotation.overlapUntil().toString()).encodePrettily());
  }

  private static void deleteRotation(Path tlsDir) throws IOException {
    Files.deleteIfExists(tlsDir.resolve(ROTATION));
    Files.deleteIfExists(tlsDir.resolve(CROSS));
    Files.deleteIfExists(tlsDir.resolve(RETIRED_CA));
  }

  /**
   * Issues a certificate signed by the site CA, e.g. a client certificate for an enrolled agent.
   *
   * @param subject distinguished name, e.g. {@code CN=host-1,OU=agent}
   * @param server whether the certificate may also serve TLS (server auth)
   */
  public X509Certificate issue(KeyPair subjectKey, String subject, Collection<String> names, Duration validity,
      boolean server) {
    State current = state;
    return issue(current.ca(), current.caKey(), subjectKey, subject, new LinkedHashSet<>(names), validity, server);
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
    return new SiteCertificates(null, Set.of(), NodeTerms.DEFAULT, new State(caCertificate, ca.getPrivate(), null,
        nodeCertificate, node.getPrivate()), false);
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

  /**
   * The site's SSH user CA, derived from the key of the site CA that issues now (the key itself never leaves this
   * object): every node derives the same one, and a site CA rotation makes a new one that hosts must trust again.
   */
  public SshUserCa sshUserCa(String siteName) {
    PrivateKey key = state.caKey();
    DerivedSshCa derived = sshCa;
    if (derived == null || derived.key() != key || !derived.site().equals(siteName)) {
      derived = new DerivedSshCa(key, siteName, SshUserCa.of(key, siteName));
      sshCa = derived;
    }
    return derived.ca();
  }

  private record DerivedSshCa(PrivateKey key, String site, SshUserCa ca) {
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
    return selfSignedCa(pair, siteName, serial(), now.minus(MAX_BACKDATE), now.plus(CA_VALIDITY));
  }

  /**
   * The new CA's name and key certified by the old CA: a client that trusts only the old CA (or pins it) follows
   * node certificate, this, old CA during a rotation's overlap.
   */
  private static X509Certificate crossCertificate(X509Certificate ca, X509Certificate retired, PrivateKey retiredKey) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(retired, serial(), ca.getNotBefore(),
          // a certificate may not outlive its issuer: a client checks the whole path
          retired.getNotAfter().before(ca.getNotAfter()) ? retired.getNotAfter() : ca.getNotAfter(),
          ca.getSubjectX500Principal(), ca.getPublicKey())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(retired))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(ca.getPublicKey()));
      return sign(builder, retiredKey);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot certify the new site CA with the old one", e);
    }
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
          Date.from(now.minus(backdate(validity))), Date.from(now.plus(validity)), new X500Name(subject),
          subjectKey.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)))
          .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca))
          .addExtension(Extension.subjectKeyIdentifier, false,
              utils.createSubjectKeyIdentifier(subjectKey.getPublic()));
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

  /** How far before now a certificate of {@code validity} starts: clocks differ, but a short life must stay short. */
  private static Duration backdate(Duration validity) {
    Duration twentieth = validity.dividedBy(20);
    return twentieth.compareTo(MAX_BACKDATE) < 0 ? twentieth : MAX_BACKDATE;
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
}
