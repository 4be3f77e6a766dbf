package dev.tether.internal.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts requests being answered, and closes to new ones once the GOAWAY may go out: the state is
 * one int whose bit 31 says "closed" and whose low bits count requests in progress.
 */
final class RequestGate {
  private static final int CLOSED = 1 << 31;
  private final AtomicInteger state = new AtomicInteger();

  /** Starts answering a request; false once the gate is closed. */
  boolean tryEnter() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** Ends answering a request; returns true if it was the last one. */
  boolean exit() {
    return (state.decrementAndGet() & ~CLOSED) == 0;
  }

  /** Closes the gate if no request is being answered; returns true if it is now closed. */
  boolean closeIfIdle() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return true;
      }
      if (s != 0) {
        return false;
      }
      if (state.compareAndSet(0, CLOSED)) {
        return true;
      }
    }
  }

  /** Closes the gate whatever is in progress, e.g. when the drain deadline has passed. */
  void close() {
    state.updateAndGet(s -> s | CLOSED);
  }

  /** Opens the gate again for a new session, after a close that ended with none in progress. */
  void reopen() {
    state.updateAndGet(s -> s & ~CLOSED);
  }

  int inProgress() {
    return state.get() & ~CLOSED;
  }
}
