package dev.tether;

/**
 * The connection is closed, or closing, so the operation cannot proceed. Carries the GOAWAY code
 * and reason that ended it, and whether the peer or this side decided to close.
 */
public class ConnectionClosedException extends TetherException {
  private static final long serialVersionUID = 1L;

  private final GoAwayCode code;
  private final int rawCode;
  private final String reason;
  private final boolean remote;
  private final long messagesNotSent;
  private final boolean graceful;

  /**
   * Creates the exception.
   *
   * @param code the close code; {@link GoAwayCode#UNKNOWN} if {@code rawCode} is not defined
   * @param rawCode the code as sent on the wire, or -1 if the connection ended without GOAWAY
   * @param reason the reason in plain words
   * @param remote true if the peer closed the connection, false if this side did
   * @param cause the underlying failure, or null
   */
  public ConnectionClosedException(
      GoAwayCode code, int rawCode, String reason, boolean remote, Throwable cause) {
    this(code, rawCode, reason, remote, cause, 0, false);
  }

  /**
   * Creates the exception that describes how a connection ended.
   *
   * @param messagesNotSent messages that {@code send} had accepted and that were never written
   * @param graceful true if the close went through PROTOCOL.md §8 to its end
   * @see #isGraceful()
   */
  public ConnectionClosedException(
      GoAwayCode code,
      int rawCode,
      String reason,
      boolean remote,
      Throwable cause,
      long messagesNotSent,
      boolean graceful) {
    super(describe(code, rawCode, reason, remote), cause);
    this.code = code;
    this.rawCode = rawCode;
    this.reason = reason;
    this.remote = remote;
    this.messagesNotSent = messagesNotSent;
    this.graceful = graceful;
  }

  /** Creates the exception for a known code. */
  public ConnectionClosedException(GoAwayCode code, String reason, boolean remote) {
    this(code, code.code(), reason, remote, null);
  }

  private static String describe(GoAwayCode code, int rawCode, String reason, boolean remote) {
    String who = remote ? "closed by peer" : "closed locally";
    String name =
        code != GoAwayCode.UNKNOWN ? code.name() : rawCode < 0 ? "no GOAWAY" : "code " + rawCode;
    return "connection " + who + " (" + name + "): " + reason;
  }

  /** Returns the GOAWAY code that ended the connection. */
  public GoAwayCode code() {
    return code;
  }

  /** Returns the GOAWAY code as sent on the wire, or -1 if there was no GOAWAY. */
  public int rawCode() {
    return rawCode;
  }

  /** Returns the reason, in plain words. */
  public String reason() {
    return reason;
  }

  /** Returns true if the peer closed the connection, false if this side did. */
  public boolean isRemote() {
    return remote;
  }

  /**
   * Returns how many messages {@code send} (or {@code sendAsync}, {@code request}) had accepted
   * that were never written to the socket: 0 after a graceful close. Meaningful on the exception
   * that {@link Connection#onClose()} completes with.
   */
  public long messagesNotSent() {
    return messagesNotSent;
  }

  /**
   * Returns true if the connection ended gracefully (PROTOCOL.md §8): every accepted message was
   * written before this side's GOAWAY and the peer sent its own GOAWAY (end of stream alone
   * confirms nothing). Then every message accepted before the close reached the peer, and the
   * peer's handler has it unless the peer itself failed. When false, the reason says what could not
   * be confirmed. Meaningful on the exception that {@link Connection#onClose()} completes with.
   */
  public boolean isGraceful() {
    return graceful;
  }
}
