package dev.tether.codec;

import dev.tether.TetherException;

/**
 * A codec could not encode or decode a message. Every failure of a codec, whatever the library
 * below it throws, reaches the caller as this one type.
 */
public class CodecException extends TetherException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the codec, the type and the cause. */
  public CodecException(String message) {
    super(message);
  }

  /** Creates the exception with the underlying library's failure. */
  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
