package dev.outpost.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust on first contact, pinned: a server is trusted when its chain contains a CA certificate with the
 * expected SHA-256 fingerprint and the chain verifies against that CA. Used to enroll with a token that
 * carries the fingerprint, before any CA file is on the machine.
 */
public final class PinnedTrust implements X509TrustManager {

  private final String fingerprint;
  private volatile X509Certificate pinnedCa;

  public PinnedTrust(String fingerprint) {
    this.fingerprint = Fingerprints.normalize(fingerprint);
  }

  /** An SSL context that trusts only chains pinned to the fingerprint. */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {this}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS is not available", e);
    }
  }

  /** The CA certificate that matched, once a handshake succeeded. */
  public X509Certificate pinnedCa() {
    return pinnedCa;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    X509Certificate ca = null;
    for (X509Certificate cert : chain) {
      if (Fingerprints.sha256(cert).equals(fingerprint)) {
        ca = cert;
      }
    }
    if (ca == null) {
      throw new CertificateException("the server's certificate authority does not match the fingerprint in the "
          + "token (" + Fingerprints.display(fingerprint) + "); check the URL, or that the token was made by that server");
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("pinned", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) {
          x509.checkServerTrusted(chain, authType);
        }
      }
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CertificateException("the server's certificate chain does not verify: " + e.getMessage(), e);
    }
    pinnedCa = ca;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("client certificates are not accepted here");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
