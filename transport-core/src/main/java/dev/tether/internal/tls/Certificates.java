package dev.tether.internal.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/** Facts about certificate chains, for expiry checks and error messages. */
public final class Certificates {
  private Certificates() {}

  /** Returns the certificate of {@code chain} that expires first, or null for an empty chain. */
  public static X509Certificate firstToExpire(List<X509Certificate> chain) {
    X509Certificate first = null;
    for (X509Certificate c : chain) {
      if (first == null || c.getNotAfter().before(first.getNotAfter())) {
        first = c;
      }
    }
    return first;
  }

  /** Names a certificate by its subject, e.g. {@code 'CN=node-1,O=Example'}. */
  public static String subject(X509Certificate certificate) {
    return "'" + certificate.getSubjectX500Principal().getName() + "'";
  }
}
