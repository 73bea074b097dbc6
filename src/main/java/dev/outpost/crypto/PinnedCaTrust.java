package dev.outpost.crypto;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a server only when its chain carries a CA with a known SHA-256 fingerprint (from an enrollment token,
 * or confirmed by a person at first contact) and the server certificate validates against that CA, host name
 * included. Outpost servers send their site CA with their chain for this purpose. Before the first check the
 * CA is not known; {@link #presentedCa()} tells which one a refused server offered.
 */
public final class PinnedCaTrust extends X509ExtendedTrustManager {

  /** The server's chain holds no CA with the expected fingerprint. */
  public static final class CaMismatchException extends CertificateException {
    private static final long serialVersionUID = 1L;

    private final String presented;

    CaMismatchException(String expected, String presented) {
      super("the server presents CA sha256 " + (presented == null ? "(none)" : Fingerprints.display(presented))
          + (expected == null ? ", which is not trusted yet" : ", not the expected " + Fingerprints.display(expected)));
      this.presented = presented;
    }

    /** The compact fingerprint of the CA the server presented, or null when it sent none. */
    public String presented() {
      return presented;
    }
  }

  private final String fingerprint;
  private volatile X509Certificate presentedCa;

  private PinnedCaTrust(String fingerprint) {
    this.fingerprint = fingerprint;
  }

  /**
   * @param fingerprint the CA's SHA-256 fingerprint, either form (see {@link Fingerprints#normalize})
   */
  public static PinnedCaTrust of(String fingerprint) {
    return new PinnedCaTrust(Fingerprints.normalize(Objects.requireNonNull(fingerprint)));
  }

  /** Trusts nothing but records which CA a server presents, to show it to a person at first contact. */
  public static PinnedCaTrust discovering() {
    return new PinnedCaTrust(null);
  }

  /** A TLS context that trusts only servers this manager accepts. */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {this}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS is not available", e);
    }
  }

  /** The CA certificate (the first self-signed one of its chain) the server last presented, or null. */
  public X509Certificate presentedCa() {
    return presentedCa;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate(chain).checkServerTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate(chain).checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate(chain).checkServerTrusted(chain, authType);
  }

  /** The standard PKIX checks (validity, key usage, host name) with the pinned CA as the only anchor. */
  private X509ExtendedTrustManager delegate(X509Certificate[] chain) throws CertificateException {
    X509Certificate ca = null;
    X509Certificate firstCa = null;
    for (X509Certificate candidate : chain) {
      // the first self-signed one is the CA the server's certificate comes from; during a site CA rotation the old
      // CA follows it
      if (firstCa == null && candidate.getSubjectX500Principal().equals(candidate.getIssuerX500Principal())) {
        firstCa = candidate;
      }
      if (fingerprint != null && Fingerprints.sha256(candidate).equals(fingerprint)) {
        ca = candidate;
      }
    }
    if (firstCa != null) {
      presentedCa = firstCa;
    }
    if (ca == null) {
      throw new CaMismatchException(fingerprint, presentedCa == null ? null : Fingerprints.sha256(presentedCa));
    }
    presentedCa = ca;
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      anchors.setCertificateEntry("site-ca", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager extended) {
          return extended;
        }
      }
      throw new CertificateException("no PKIX trust manager available");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CertificateException("cannot check the server chain: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("a pinned CA trusts servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("a pinned CA trusts servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a pinned CA trusts servers only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    X509Certificate ca = presentedCa;
    return ca != null && fingerprint != null && Fingerprints.sha256(ca).equals(fingerprint) ? new X509Certificate[] {ca}
        : new X509Certificate[0];
  }
}
