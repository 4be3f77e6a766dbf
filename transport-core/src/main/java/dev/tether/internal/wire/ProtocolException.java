package dev.tether.internal.wire;

import dev.tether.GoAwayCode;

/** The bytes received break the protocol; carries the GOAWAY code to answer with. */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  private final GoAwayCode code;

  public ProtocolException(GoAwayCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public GoAwayCode code() {
    return code;
  }
}
