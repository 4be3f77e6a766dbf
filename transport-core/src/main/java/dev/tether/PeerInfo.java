package dev.tether;

import java.net.SocketAddress;
import java.time.Duration;

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
 */
public record PeerInfo(
    long nodeId,
    SocketAddress address,
    String appProtocol,
    String codec,
    String serverName,
    int maxFrameBytes,
    Duration heartbeatInterval,
    Duration idleTimeout) {}
