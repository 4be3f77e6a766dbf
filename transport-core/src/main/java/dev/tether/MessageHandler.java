package dev.tether;

/**
 * Receives the messages that arrive on a connection, one at a time and in the order they were sent.
 * May block: by default it runs on the connection's event loop, which goes on in a new thread if it
 * blocks, and the connection's handlers then move to the handler pool (see {@link
 * TetherConfig#HANDLER_POOL}). While it is slow, the connection stops reading from the socket once
 * its inbound queue is full, and the peer's sends wait.
 */
@FunctionalInterface
public interface MessageHandler<O, I> {
  /** Called for each message; an exception closes the connection with INTERNAL_ERROR. */
  void onMessage(Connection<O, I> connection, I message) throws Exception;
}
