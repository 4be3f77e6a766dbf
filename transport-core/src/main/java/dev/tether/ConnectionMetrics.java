package dev.tether;

import java.time.Duration;

/**
 * A snapshot of one connection's counters.
 *
 * @param messagesSent DATA, REQUEST and RESPONSE messages accepted for sending
 * @param messagesReceived DATA, REQUEST and RESPONSE frames read from the socket
 * @param bytesSent bytes written to the socket, framing included; a resumed session counts every
 *     socket it had
 * @param bytesReceived bytes read from the socket, framing included; a resumed session counts every
 *     socket it had
 * @param queuedOutboundBytes bytes accepted by send but not yet written
 * @param queuedInboundMessages messages read but not yet delivered
 * @param pendingRequests requests awaiting a response
 * @param rtt the last measured PING round trip; {@link Duration#ZERO} before the first PONG
 * @param pings PINGs answered by a PONG so far
 */
public record ConnectionMetrics(
    long messagesSent,
    long messagesReceived,
    long bytesSent,
    long bytesReceived,
    long queuedOutboundBytes,
    int queuedInboundMessages,
    int pendingRequests,
    Duration rtt,
    long pings) {}
