package dev.tether;

/**
 * Receives the messages that arrive on a connection, one at a time and in the order they were sent.
 * Runs on the connection's handler executor, never on an event loop, so it may block; while it is
 * slow, the connection stops reading from the socket once its inbound queue is full, and the peer's
 * sends wait.
 */
@FunctionalInterface
public interface MessageHandler<O, I> {
  /** Called for each message; an exception closes the connection with INTERNAL_ERROR. */
  void onMessage(Connection<O, I> connection, I message) throws Exception;
}
