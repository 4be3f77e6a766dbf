package dev.tether;

/**
 * Why a connection was closed, as carried by a GOAWAY frame (PROTOCOL.md §8).
 *
 * <p>Codes the peer sends that this version does not know are reported as {@link #UNKNOWN}, with
 * the numeric value kept in {@link ConnectionClosedException#rawCode()}.
 */
public enum GoAwayCode {
  /** Graceful close. */
  NORMAL(0),
  /** A malformed frame or an invalid sequence of frames. */
  PROTOCOL_ERROR(1),
  /** The peer speaks a protocol version this side does not. */
  UNSUPPORTED_VERSION(2),
  /** The application protocol name or the schema fingerprint differ. */
  APP_PROTOCOL_MISMATCH(3),
  /** No codec is offered by the client and supported by the server. */
  NO_COMMON_CODEC(4),
  /** The client expected a server with another name. */
  SERVER_NAME_MISMATCH(5),
  /** A frame was longer than the receiver's maximum. */
  FRAME_TOO_LARGE(6),
  /** No frame arrived within the idle timeout. */
  IDLE_TIMEOUT(7),
  /** The server is stopping. */
  SHUTTING_DOWN(8),
  /** A single-client server accepted a newer client. */
  REPLACED(9),
  /** The peer is not allowed to connect. */
  UNAUTHORIZED(10),
  /** The peer failed in a way that is not the other side's fault. */
  INTERNAL_ERROR(11),
  /** The handshake did not complete within the handshake timeout. */
  HANDSHAKE_TIMEOUT(12),
  /** A DATA message could not be decoded. */
  CODEC_ERROR(13),
  /** A code this version does not know; see {@link ConnectionClosedException#rawCode()}. */
  UNKNOWN(-1);

  private static final GoAwayCode[] BY_CODE = new GoAwayCode[14];

  static {
    for (GoAwayCode c : values()) {
      if (c.code >= 0) {
        BY_CODE[c.code] = c;
      }
    }
  }

  private final int code;

  GoAwayCode(int code) {
    this.code = code;
  }

  /** Returns the number sent on the wire, or -1 for {@link #UNKNOWN}. */
  public int code() {
    return code;
  }

  /** Returns the constant for a wire value, or {@link #UNKNOWN} if the value is not defined. */
  public static GoAwayCode of(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
  }
}
