package dev.tether;

/**
 * The handshake failed: the peers do not agree on the application protocol, schema, codec or server
 * name, the peer is not a Tether endpoint, or the handshake timed out. The message names both
 * sides' values.
 */
public class HandshakeException extends ConnectionClosedException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link ConnectionClosedException}. */
  public HandshakeException(
      GoAwayCode code, int rawCode, String reason, boolean remote, Throwable cause) {
    super(code, rawCode, reason, remote, cause);
  }

  /** Creates the exception for a known code. */
  public HandshakeException(GoAwayCode code, String reason, boolean remote) {
    this(code, code.code(), reason, remote, null);
  }
}
