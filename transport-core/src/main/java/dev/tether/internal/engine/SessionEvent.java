package dev.tether.internal.engine;

import dev.tether.ConnectionClosedException;
import dev.tether.TetherException;

/** What happened to a reconnecting client's session, for its {@code ReconnectListener}. */
record SessionEvent(int kind, long count, TetherException cause) {
  static final int DISCONNECTED = 0;
  static final int RESUMED = 1;
  static final int LOST = 2;
  static final int GAVE_UP = 3;

  static SessionEvent disconnected(ConnectionClosedException cause) {
    return new SessionEvent(DISCONNECTED, 0, cause);
  }

  static SessionEvent resumed(int attempts) {
    return new SessionEvent(RESUMED, attempts, null);
  }

  static SessionEvent lost(long maybeLost, ConnectionClosedException cause) {
    return new SessionEvent(LOST, maybeLost, cause);
  }

  static SessionEvent gaveUp(TetherException cause) {
    return new SessionEvent(GAVE_UP, 0, cause);
  }
}
