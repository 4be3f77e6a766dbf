package dev.tether;

/** Told once when a connection has closed, with the reason. */
@FunctionalInterface
public interface CloseHandler<O, I> {
  /**
   * Called after the last message was delivered.
   *
   * @param cause why the connection ended; {@link GoAwayCode#NORMAL} for a graceful close
   */
  void onClose(Connection<O, I> connection, ConnectionClosedException cause);
}
