package dev.tether.internal.engine;

import dev.tether.Connection;

/** Lets tests outside the engine's package see where a connection's session stands. */
public final class SessionProbe {
  private SessionProbe() {}

  /** Returns true while a server's session waits, without a socket, for its client to resume. */
  public static boolean isDetached(Connection<?, ?> connection) {
    return ((RealConnection<?, ?>) connection).state() == ConnectionState.DETACHED;
  }
}
