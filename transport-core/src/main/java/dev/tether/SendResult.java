package dev.tether;

/** The outcome of {@link Connection#trySend}, which never blocks. */
public enum SendResult {
  /** The message was queued and will be written in order. */
  ACCEPTED,
  /**
   * The outbound queue is full because the peer, or the network, is slower than the sender. Retry
   * later, drop the message, or use the blocking {@link Connection#send}.
   */
  BACK_PRESSURED,
  /** The connection is closing or closed; the message will never be sent. */
  CLOSED
}
