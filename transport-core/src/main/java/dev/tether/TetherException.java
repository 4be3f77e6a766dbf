package dev.tether;

/** The base of every exception Tether throws; unchecked. */
public class TetherException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message that says what happened and what to do. */
  public TetherException(String message) {
    super(message);
  }

  /** Creates an exception with a message and the underlying cause. */
  public TetherException(String message, Throwable cause) {
    super(message, cause);
  }
}
