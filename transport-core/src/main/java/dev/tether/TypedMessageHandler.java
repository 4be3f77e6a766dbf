package dev.tether;

/**
 * Receives the messages of one type, routed to it by class: see {@link
 * ServerBuilder#onMessage(Class, TypedMessageHandler)}. Runs like a {@link MessageHandler}: on the
 * connection's handler executor, one message at a time, in the order they were sent.
 *
 * @param <O> the type of messages the connection sends
 * @param <I> the type of messages the connection receives
 * @param <M> the type this handler is routed, a subtype of {@code I}
 */
@FunctionalInterface
public interface TypedMessageHandler<O, I, M> {
  /**
   * Called for each message of the routed type; an exception is a handler failure, handled as the
   * connection's {@link HandlerFailurePolicy} says.
   */
  void onMessage(Connection<O, I> connection, M message) throws Exception;
}
