package dev.tether.internal.engine;

/**
 * The life of a connection (PROTOCOL.md §1, §9, §13). Written only by the connection's event loop,
 * in {@link RealConnection#moveTo}, which checks every transition against {@link #canMoveTo}.
 *
 * <pre>
 * CONNECTING ─► HANDSHAKING ─► OPEN ─► CLOSING ─► GOAWAY_SENT ─► CLOSED
 *                                │ ▲
 *                                ▼ │              (resumable sessions)
 *                             DETACHED ◄─► RESUMING
 * </pre>
 *
 * Any state may go to CLOSED; HANDSHAKING and OPEN may go straight to GOAWAY_SENT (a refusal, an
 * error). A reconnecting client goes from GOAWAY_SENT to DETACHED when the close it finished was a
 * server's graceful shutdown: it starts a new session on a new socket.
 */
enum ConnectionState {
  /** A client's connect is in progress. */
  CONNECTING,
  /** Preamble and HELLO/WELCOME are being exchanged. */
  HANDSHAKING,
  /** Messages flow both ways. */
  OPEN,
  /**
   * A resumable session whose socket failed: it waits for the client to come back (server) or is
   * about to reconnect (client). Sends queue, within the bound.
   */
  DETACHED,
  /** A client connecting and handshaking a new socket for its session. Sends queue. */
  RESUMING,
  /**
   * A graceful close has begun, by this side or by the peer's GOAWAY: new application sends are
   * refused, the handler finishes what was received before, and what it sends is still written.
   */
  CLOSING,
  /** This side's GOAWAY is queued; nothing follows it. Reading goes on until the peer is done. */
  GOAWAY_SENT,
  /** The socket is closed. */
  CLOSED;

  boolean canMoveTo(ConnectionState next) {
    return switch (this) {
      case CONNECTING -> next == HANDSHAKING || next == CLOSED;
      case HANDSHAKING -> next == OPEN || next == GOAWAY_SENT || next == CLOSED;
      case OPEN -> next == CLOSING || next == GOAWAY_SENT || next == DETACHED || next == CLOSED;
      case DETACHED -> next == RESUMING || next == OPEN || next == CLOSED;
      case RESUMING -> next == OPEN || next == DETACHED || next == GOAWAY_SENT || next == CLOSED;
      case CLOSING -> next == GOAWAY_SENT || next == CLOSED;
      case GOAWAY_SENT -> next == CLOSED || next == DETACHED;
      case CLOSED -> false;
    };
  }

  /** Returns true while the session is open to the application (sends are accepted). */
  boolean isSessionOpen() {
    return this == OPEN || this == DETACHED || this == RESUMING;
  }

  /** Returns true while a handshake is on the wire: frames go to the handshaker. */
  boolean isHandshaking() {
    return this == HANDSHAKING || this == RESUMING;
  }

  /** Returns true once a close has begun, in whichever way. */
  boolean isClosing() {
    return compareTo(CLOSING) >= 0;
  }
}
