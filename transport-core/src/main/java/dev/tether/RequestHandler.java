package dev.tether;

/**
 * Answers requests sent with {@link Connection#request}. Called on the connection's handler
 * executor, in order with the connection's other messages; for answers that complete later, use
 * {@link AsyncRequestHandler}.
 */
@FunctionalInterface
public interface RequestHandler<O, I> {
  /**
   * Returns the response. An exception is sent to the requester as HANDLER_FAILED with the
   * exception's message; the connection stays up.
   */
  O onRequest(Connection<O, I> connection, I request) throws Exception;
}
