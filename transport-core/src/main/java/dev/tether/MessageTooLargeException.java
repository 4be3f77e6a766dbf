package dev.tether;

/**
 * A message's encoding does not fit in one frame of the size the peer accepts. The message was not
 * sent and the connection stays up; split the message or raise {@code maxFrameBytes} on the peer.
 */
public class MessageTooLargeException extends TetherException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message names the sizes. */
  public MessageTooLargeException(String message) {
    super(message);
  }
}
