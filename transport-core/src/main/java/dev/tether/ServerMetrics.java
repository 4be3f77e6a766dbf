package dev.tether;

/**
 * A snapshot of a server's counters, over every connection it has accepted, open or closed.
 *
 * @param openConnections connections that completed their handshake and are not closed
 * @param acceptedConnections sockets accepted since the server started
 * @param refusedHandshakes connections closed before their handshake completed, whatever the cause
 * @param messagesSent messages accepted for sending
 * @param messagesReceived messages read from sockets
 * @param bytesSent bytes written to sockets
 * @param bytesReceived bytes read from sockets
 */
public record ServerMetrics(
    int openConnections,
    long acceptedConnections,
    long refusedHandshakes,
    long messagesSent,
    long messagesReceived,
    long bytesSent,
    long bytesReceived) {}
