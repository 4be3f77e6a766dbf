package dev.tether;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * What the handshake established about the other side of a connection.
 *
 * @param nodeId the peer's node id; 0 if anonymous
 * @param address the peer's socket address (for Unix domain sockets, possibly unnamed)
 * @param appProtocol the application protocol both sides agreed on
 * @param codec the codec negotiated for this connection
 * @param serverName the server's name as it announced it (on the server, its own name)
 * @param maxFrameBytes the largest frame the peer accepts
 * @param heartbeatInterval how often the peer would like to send PING when idle; zero if never
 * @param idleTimeout how long the peer waits for a frame before closing; zero if never
 * @param tlsProtocol the TLS version protecting the connection, e.g. {@code TLSv1.3}; empty without
 *     TLS
 * @param certificates the peer's certificate chain as TLS verified it, leaf first; empty without
 *     TLS, and on a server that does not require client certificates
 */
public record PeerInfo(
    long nodeId,
    SocketAddress address,
    String appProtocol,
    String codec,
    String serverName,
    int maxFrameBytes,
    Duration heartbeatInterval,
    Duration idleTimeout,
    String tlsProtocol,
    List<X509Certificate> certificates) {
  /** Copies the list. */
  public PeerInfo {
    certificates = List.copyOf(certificates);
  }
}
