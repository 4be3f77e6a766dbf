package dev.tether.internal.engine;

/**
 * The life of a connection (PROTOCOL.md §1, §8). Written only by the connection's event loop, in
 * {@link RealConnection#moveTo}, which checks every transition against {@link #canMoveTo}.
 *
 * <pre>
 * CONNECTING ─► HANDSHAKING ─► OPEN ─► CLOSING ─► GOAWAY_SENT ─► CLOSED
 *      │             │           │                     ▲            ▲
 *      │             └───────────┴─────────────────────┘            │
 *      └────────────────────── (any state) ─────────────────────────┘
 * </pre>
 */
enum ConnectionState {
  /** A client's connect is in progress. */
  CONNECTING,
  /** Preamble and HELLO/WELCOME are being exchanged. */
  HANDSHAKING,
  /** Messages flow both ways. */
  OPEN,
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
      case OPEN -> next == CLOSING || next == GOAWAY_SENT || next == CLOSED;
      case CLOSING -> next == GOAWAY_SENT || next == CLOSED;
      case GOAWAY_SENT -> next == CLOSED;
      case CLOSED -> false;
    };
  }

  /** Returns true while the session is open to the application (sends are accepted). */
  boolean isSessionOpen() {
    return this == OPEN;
  }

  /** Returns true once a close has begun, in whichever way. */
  boolean isClosing() {
    return compareTo(CLOSING) >= 0;
  }
}
