package dev.tether;

/**
 * Answers the requests of one type, routed to it by class: see {@link
 * ServerBuilder#onRequest(Class, TypedRequestHandler)}. Runs like a {@link RequestHandler}: on the
 * connection's handler executor, in order with the connection's other messages.
 *
 * @param <O> the type of messages the connection sends, responses included
 * @param <I> the type of messages the connection receives
 * @param <Q> the request type this handler is routed, a subtype of {@code I}
 */
@FunctionalInterface
public interface TypedRequestHandler<O, I, Q> {
  /**
   * Returns the response. An exception is sent to the requester as {@link
   * RequestErrorCode#HANDLER_FAILED} with the exception's message; the connection stays up.
   */
  O onRequest(Connection<O, I> connection, Q request) throws Exception;
}
