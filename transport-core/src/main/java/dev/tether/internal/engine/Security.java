package dev.tether.internal.engine;

import dev.tether.Authorizer;
import dev.tether.Credentials;
import dev.tether.TlsConfig;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * How a connection protects itself: TLS (or none), the authorizer that judges the peer (or none),
 * and the credentials a client sends (or none). Immutable.
 */
public record Security(TlsConfig tls, Authorizer authorizer, Credentials credentials) {
  /** No TLS, no authorizer, no credentials: the behaviour of a plain connection. */
  public static final Security NONE = new Security(null, null, null);

  /**
   * Checks that these settings fit a server or client at {@code address}.
   *
   * @throws IllegalArgumentException if TLS is asked for a Unix domain socket, or a TLS server has
   *     no certificate to present
   */
  public void check(SocketAddress address, boolean server) {
    if (tls == null) {
      return;
    }
    if (!(address instanceof InetSocketAddress)) {
      throw new IllegalArgumentException(
          "TLS runs over TCP only, not over "
              + address
              + "; a Unix domain socket is protected by its file's permissions");
    }
    if (server && !tls.hasKeyMaterial()) {
      throw new IllegalArgumentException(
          "a TLS server needs a certificate and private key: TlsConfig.Builder.keyPair or"
              + " keyStore");
    }
  }
}
