package dev.tether;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * What a peer presented during the handshake, for an {@link Authorizer} to judge: the certificate
 * chain TLS verified, the credentials it sent, and the facts of its handshake frame.
 *
 * @param address the peer's socket address
 * @param certificates the peer's certificate chain, leaf first, already verified by TLS against
 *     this side's trust material; empty without TLS, and on a server that does not {@linkplain
 *     TlsConfig#clientCertificateRequired() require client certificates}
 * @param credentials what the peer sent in its HELLO's credentials extension, if anything (only
 *     clients send credentials)
 * @param tlsProtocol the negotiated TLS version, e.g. {@code "TLSv1.3"}; empty without TLS
 * @param nodeId the node id the peer announced; 0 if anonymous
 * @param appProtocol the application protocol the peer announced (equal to this side's)
 * @param serverName on a server, the name the client asked for (empty for any); on a client, the
 *     name the server announced
 * @param codec the codec the two sides agreed on
 */
public record AccessRequest(
    SocketAddress address,
    List<X509Certificate> certificates,
    Optional<Credentials> credentials,
    String tlsProtocol,
    long nodeId,
    String appProtocol,
    String serverName,
    String codec) {
  /** Copies the list. */
  public AccessRequest {
    certificates = List.copyOf(certificates);
  }

  /** Returns the peer's own certificate, the first of the chain, if it presented one. */
  public Optional<X509Certificate> certificate() {
    return certificates.isEmpty() ? Optional.empty() : Optional.of(certificates.get(0));
  }
}
