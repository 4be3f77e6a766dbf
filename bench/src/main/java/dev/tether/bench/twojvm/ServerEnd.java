package dev.tether.bench.twojvm;

import java.net.InetSocketAddress;

/**
 * The server of one contender: listens on loopback, checks the sequence numbers of what arrives on
 * each connection, and echoes every message or only counts it.
 */
interface ServerEnd extends AutoCloseable {
  /** Returns the bound address. */
  InetSocketAddress address();

  /** Returns the checks of every accepted connection. */
  Tally tally();

  @Override
  void close();

  /**
   * Binds the server of {@code contender} on a free loopback port.
   *
   * @param echo true to echo every message, false to count only (one-way)
   */
  static ServerEnd start(Contender contender, String codec, boolean echo) throws Exception {
    return switch (contender) {
      case TETHER, TETHER_LOOP, TETHER_POOL -> TetherEnds.server(contender, codec, echo);
      case NETTY -> NettyEnds.server(codec, echo);
      case RAW -> RawEnds.server(echo);
    };
  }
}
