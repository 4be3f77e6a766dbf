package dev.tether.internal.wire;

import dev.tether.GoAwayCode;

/** The bytes received break the protocol; carries the GOAWAY code to answer with. */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  private final GoAwayCode code;
  private final boolean silent;

  public ProtocolException(GoAwayCode code, String message) {
    this(code, message, false);
  }

  /**
   * @param silent true if the connection must close without writing anything, as a server does when
   *     the first bytes are not the preamble (PROTOCOL.md §2)
   */
  public ProtocolException(GoAwayCode code, String message, boolean silent) {
    super(message, null, false, false);
    this.code = code;
    this.silent = silent;
  }

  public GoAwayCode code() {
    return code;
  }

  /** Returns true if the connection closes without writing a GOAWAY. */
  public boolean isSilent() {
    return silent;
  }
}
