package dev.tether;

/**
 * Told what happens to a reconnecting client connection ({@link ClientBuilder#reconnect}). Called
 * on the connection's handler executor, in order with its messages: a message delivered after
 * {@link #onResumed} arrived on the new socket. Every method has an empty default.
 */
public interface ReconnectListener<O, I> {
  /**
   * The socket failed, or the server shut down gracefully ({@code cause} says {@link
   * GoAwayCode#SHUTTING_DOWN}); the connection reconnects. Sends queue meanwhile.
   */
  default void onDisconnected(Connection<O, I> connection, ConnectionClosedException cause) {}

  /**
   * A reconnect resumed the session: nothing was lost, nothing will be delivered twice.
   *
   * @param attempts the attempts it took since the disconnection
   */
  default void onResumed(Connection<O, I> connection, int attempts) {}

  /**
   * A reconnect succeeded, but the server no longer had the session (it expired, the server
   * restarted, or it does not resume sessions): a new session has started. Messages accepted before
   * were dropped: {@code messagesMaybeLost} of them may not have reached the peer's handler (those
   * written and not acknowledged, and those never written); requests outstanding failed with the
   * cause. After the server's graceful shutdown the count is 0: that close confirmed everything
   * written before it, and what was sent since goes to the new session — unless the server now
   * there chose another codec, or accepts smaller frames than one of those sent since: then they
   * were encoded for the old server, and are dropped and counted.
   */
  default void onSessionLost(
      Connection<O, I> connection, long messagesMaybeLost, ConnectionClosedException cause) {}

  /**
   * Reconnecting stopped: the policy's attempts or time ran out, or the server refused in a way
   * that cannot heal. The connection is closed with {@code cause}.
   */
  default void onGaveUp(Connection<O, I> connection, TetherException cause) {}
}
