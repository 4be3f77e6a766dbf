package dev.tether;

import java.util.concurrent.CompletionStage;

/**
 * Answers requests with a response that may complete later, on any thread; responses may go out in
 * any order. Called on the connection's handler executor, in order with its other messages.
 */
@FunctionalInterface
public interface AsyncRequestHandler<O, I> {
  /**
   * Returns a stage of the response. An exception, or a stage completed exceptionally, is sent to
   * the requester as HANDLER_FAILED with the exception's message; the connection stays up.
   */
  CompletionStage<? extends O> onRequest(Connection<O, I> connection, I request) throws Exception;
}
