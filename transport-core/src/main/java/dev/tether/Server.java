package dev.tether;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A bound, listening server. Every accepted connection gets the handlers given to its {@link
 * ServerBuilder}. Thread safe.
 */
public interface Server<O, I> extends AutoCloseable {
  /**
   * Returns the address the server is bound to: for TCP the real port even if port 0 was asked for;
   * for a Unix domain socket its path.
   */
  SocketAddress address();

  /** Returns the connections that have completed their handshake and are not yet closed. */
  List<Connection<O, I>> connections();

  /**
   * Returns the open connection whose client announced {@code nodeId} in its handshake ({@link
   * TetherConfig#nodeId()}), so that a handler can address a message to another client by its id:
   * {@code server.connection(replicaId).ifPresent(c -> c.send(update))}. If several open
   * connections announced the same id, the newest is returned. Empty once that client's connection
   * starts closing. A constant-time lookup.
   *
   * @throws IllegalArgumentException if {@code nodeId} is 0, the id of anonymous clients
   */
  Optional<Connection<O, I>> connection(long nodeId);

  /** Returns a snapshot of the server's counters, over open and closed connections. */
  ServerMetrics metrics();

  /** Returns the name this server announces, and that clients may ask to check. */
  String name();

  /**
   * Stops accepting, closes every connection with GOAWAY(SHUTTING_DOWN) after the messages already
   * accepted, and waits up to the drain timeout for them to finish; a socket still in its handshake
   * has nothing to finish, and is closed once its GOAWAY is written. Idempotent. Called by a
   * handler of one of this server's connections (or on an event loop), it starts all that without
   * waiting: the close of that connection waits for the handler to return. A thread interrupted
   * while it waits stops waiting and returns, its interrupt status set; the close goes on.
   */
  @Override
  void close();

  /** Like {@link #close()}, waiting at most {@code deadline} before abandoning the connections. */
  void close(Duration deadline);
}
