package dev.tether.examples;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly one server certificate, named by its SHA-256 fingerprint, as SSH trusts a known
 * host: for a server with a throwaway self-signed certificate. The fingerprint identifies the
 * server, so no CA and no host name are checked; the certificate must still be within its dates.
 */
final class PinnedCertificate extends X509ExtendedTrustManager {
  private final String fingerprint;

  /**
   * @param fingerprint the SHA-256 fingerprint, as {@link ThrowawayCertificate#normalize}
   */
  PinnedCertificate(String fingerprint) {
    this.fingerprint = fingerprint;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    X509Certificate server = chain[0];
    String actual = ThrowawayCertificate.normalize(ThrowawayCertificate.fingerprint(server));
    if (!actual.equals(fingerprint)) {
      throw new CertificateException(
          "the server's certificate has SHA-256 fingerprint "
              + ThrowawayCertificate.fingerprint(server)
              + ", not the pinned "
              + fingerprint);
    }
    server.checkValidity();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a pinned server certificate does not judge clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
