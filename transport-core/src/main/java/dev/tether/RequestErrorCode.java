package dev.tether;

/**
 * Why a responder answered a request with an error instead of a response (PROTOCOL.md §7). The
 * connection stays up in every case.
 */
public enum RequestErrorCode {
  /** The responder has no request handler. */
  NO_HANDLER(1),
  /** The responder's handler threw or completed exceptionally. */
  HANDLER_FAILED(2),
  /** The responder could not decode the request. */
  DECODE_FAILED(3),
  /** The request's type id is not registered at the responder. */
  UNKNOWN_TYPE(4),
  /** A code this version does not know. */
  UNKNOWN(-1);

  private final int code;

  RequestErrorCode(int code) {
    this.code = code;
  }

  /** Returns the number sent on the wire, or -1 for {@link #UNKNOWN}. */
  public int code() {
    return code;
  }

  /** Returns the constant for a wire value, or {@link #UNKNOWN} if the value is not defined. */
  public static RequestErrorCode of(int code) {
    for (RequestErrorCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return UNKNOWN;
  }
}
