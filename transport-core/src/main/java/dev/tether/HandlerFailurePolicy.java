package dev.tether;

/**
 * What a connection does when its {@link MessageHandler} or {@link ConnectionHandler} throws (any
 * {@link Throwable}, {@link Error}s included). A throwing request handler is always answered with
 * {@link RequestErrorCode#HANDLER_FAILED} and the connection stays up, whatever the policy.
 *
 * <p>One exception is not a failure: a {@link ConnectionClosedException} from a message handler of
 * a connection that is closing. Messages that crossed this side's GOAWAY are still delivered
 * (PROTOCOL.md §8), but a reply to them can no longer be written, and the send that refuses it
 * throws; the handler is then simply cut short, and the next message is delivered.
 */
public enum HandlerFailurePolicy {
  /**
   * Logs the failure and closes the connection with GOAWAY(INTERNAL_ERROR) naming it; messages
   * received after the failing one are not delivered. The default: a handler that fails has
   * probably lost state the rest of the stream depends on.
   */
  CLOSE_CONNECTION,
  /** Logs the failure and delivers the next message; the connection stays up. */
  LOG_AND_CONTINUE
}
