package dev.tether;

/** An operation did not complete in time: a connect, a blocked send or a request. */
public class TetherTimeoutException extends TetherException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message names the operation and the time allowed. */
  public TetherTimeoutException(String message) {
    super(message);
  }
}
