package dev.tether;

/** Told when a connection has completed its handshake and may be used. */
@FunctionalInterface
public interface ConnectionHandler<O, I> {
  /** Called once per connection, before its first message is delivered. */
  void onConnection(Connection<O, I> connection) throws Exception;
}
