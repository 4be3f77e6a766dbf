package dev.tether.internal.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counts requests being answered, and closes to new ones once the GOAWAY may go out: the state is
 * one int whose bit 31 says "closed" and whose low bits count requests in progress.
 */
final class RequestGate {
  private static final int CLOSED = 1 << 31;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(RequestGate.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A field rather than an AtomicInteger: one object less for every connection. */
  private volatile int state;

  /** Starts answering a request; false once the gate is closed. */
  boolean tryEnter() {
    while (true) {
      int s = state;
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (STATE.compareAndSet(this, s, s + 1)) {
        return true;
      }
    }
  }

  /** Ends answering a request; returns true if it was the last one. */
  boolean exit() {
    return (((int) STATE.getAndAdd(this, -1) - 1) & ~CLOSED) == 0;
  }

  /** Closes the gate if no request is being answered; returns true if it is now closed. */
  boolean closeIfIdle() {
    while (true) {
      int s = state;
      if ((s & CLOSED) != 0) {
        return true;
      }
      if (s != 0) {
        return false;
      }
      if (STATE.compareAndSet(this, 0, CLOSED)) {
        return true;
      }
    }
  }

  /** Closes the gate whatever is in progress, e.g. when the drain deadline has passed. */
  void close() {
    STATE.getAndBitwiseOr(this, CLOSED);
  }

  /** Opens the gate again for a new session, after a close that ended with none in progress. */
  void reopen() {
    STATE.getAndBitwiseAnd(this, ~CLOSED);
  }

  int inProgress() {
    return state & ~CLOSED;
  }
}
