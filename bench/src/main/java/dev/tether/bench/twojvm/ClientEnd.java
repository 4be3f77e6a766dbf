package dev.tether.bench.twojvm;

import java.net.InetSocketAddress;

/**
 * The load generator's end of one contender: some connections to its server, and the workloads over
 * them. Used by one thread.
 */
interface ClientEnd extends AutoCloseable {
  /**
   * Sends message {@code seq} on the first connection and waits, at most 10 s, for its echo.
   *
   * @throws IllegalStateException if another message came back
   */
  void roundTrip(long seq) throws Exception;

  /**
   * Sends message {@code seq} as a request on the first connection and waits for the response.
   *
   * @throws UnsupportedOperationException unless the contender is Tether
   */
  default void request(long seq) throws Exception {
    throw new UnsupportedOperationException("request() is Tether's");
  }

  /** Starts keeping {@code window} messages in flight on every connection, each echoed. */
  Flow startEcho(int window) throws Exception;

  /** Starts streaming messages on every connection as fast as the server takes them. */
  Flow startOneWay() throws Exception;

  /** Closes every connection, gracefully where the contender can: what was sent arrives. */
  @Override
  void close() throws Exception;

  /** Connects {@code connections} clients of {@code contender} to {@code server}. */
  static ClientEnd connect(
      Contender contender, String codec, InetSocketAddress server, int connections)
      throws Exception {
    return switch (contender) {
      case TETHER, TETHER_LOOP, TETHER_POOL ->
          TetherEnds.client(contender, codec, server, connections);
      case NETTY -> NettyEnds.client(codec, server, connections);
      case RAW -> RawEnds.client(server, connections);
    };
  }

  /** A running pipelined workload. */
  interface Flow {
    /** Returns the echoes received so far (echo) or the messages sent so far (one-way). */
    long progress();

    /**
     * Stops sending and waits until every message sent has been echoed (echo) or handed to the
     * transport (one-way), at most 30 s.
     *
     * @throws IllegalStateException if that did not happen in time
     */
    void stop() throws Exception;

    /** Returns the messages sent, over every connection. */
    long sent();

    /** Returns the echoes received and checked, over every connection; 0 for one-way. */
    Tally echoes();
  }
}
