package dev.outpost.client;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.http.Tls;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS trust of the client: on first contact the appliance's site CA is found in the chain it presents and
 * accepted only by its SHA-256 fingerprint; from then on only that CA is trusted, with host name checks.
 */
final class SiteTrust {

  private SiteTrust() {
  }

  /** An SSL context trusting exactly this CA. */
  static SSLContext pinnedTo(X509Certificate ca) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("site-ca", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("TLS is not available", e);
    }
  }

  /** Connects once and returns the CA certificate the appliance presents (the first self-signed one of its chain). */
  static X509Certificate presentedCa(URI appliance) {
    AtomicReference<X509Certificate[]> seen = new AtomicReference<>();
    X509TrustManager recorder = new X509TrustManager() {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        seen.set(chain.clone()); // nothing is sent on this connection: it only reads the chain
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
        throw new UnsupportedOperationException("client side only");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {recorder}, null);
      handshake(context, appliance);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS is not available", e);
    }
    X509Certificate[] chain = seen.get();
    if (chain == null || chain.length == 0) {
      throw new ClientFailure(appliance + " presented no certificate");
    }
    for (X509Certificate cert : chain) {
      if (cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
        return cert;
      }
    }
    return chain[chain.length - 1];
  }

  /** Connects trusting only a CA with this fingerprint (and a chain that verifies); returns that CA. */
  static X509Certificate verifiedCa(URI appliance, String fingerprint) {
    PinnedCaTrust trust;
    try {
      trust = PinnedCaTrust.of(fingerprint);
    } catch (IllegalArgumentException e) {
      throw new ClientFailure("--ca-sha256: " + e.getMessage());
    }
    handshake(trust.sslContext(), appliance);
    return trust.presentedCa();
  }

  static String fingerprint(X509Certificate ca) {
    return Fingerprints.sha256(ca);
  }

  private static void handshake(SSLContext context, URI appliance) {
    int port = appliance.getPort() > 0 ? appliance.getPort() : 443;
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new java.net.InetSocketAddress(appliance.getHost(), port), 10_000);
      socket.setSoTimeout(10_000);
      SSLParameters params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(Tls.restrict(params));
      socket.startHandshake();
    } catch (SSLException e) {
      throw new ClientFailure("TLS with " + appliance + " failed: " + rootMessage(e), e);
    } catch (IOException e) {
      throw new ClientFailure("cannot reach " + appliance + ": " + rootMessage(e), e);
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
