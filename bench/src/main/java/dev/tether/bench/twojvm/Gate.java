package dev.tether.bench.twojvm;

import java.util.concurrent.TimeUnit;

/**
 * Pauses a flow's sender threads between the slices of an interleaved measurement: {@link #close}
 * stops them at their next {@link #pass} and waits until all have stopped there, {@link #open} lets
 * them go on. A sender checks a volatile flag per batch while the gate is open, so the flow pays
 * nothing for being pausable. Thread safe.
 */
final class Gate {
  private final int threads;
  private volatile boolean open = true;
  private volatile boolean released;
  private int waiting;

  /** A gate for {@code threads} sender threads. */
  Gate(int threads) {
    this.threads = threads;
  }

  /** Returns true unless the gate is closed (and not released). */
  boolean isOpen() {
    return open || released;
  }

  /**
   * Returns at once while the gate is open; when it is closed, waits until it opens or is released.
   * Sender threads, between batches.
   */
  void pass() throws InterruptedException {
    if (isOpen()) {
      return;
    }
    synchronized (this) {
      waiting++;
      notifyAll();
      try {
        while (!isOpen()) {
          wait();
        }
      } finally {
        waiting--;
      }
    }
  }

  /**
   * Closes the gate and waits, at most 30 s, until every sender thread waits at it.
   *
   * @throws IllegalStateException naming {@code what} if they did not stop in time
   */
  synchronized void close(String what) throws InterruptedException {
    open = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (waiting < threads && !released) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            what + ": " + waiting + " of " + threads + " senders paused within 30 s");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Opens the gate: the sender threads go on. */
  synchronized void open() {
    open = true;
    notifyAll();
  }

  /** Opens the gate for good, so that stopping senders never wait at it. */
  synchronized void release() {
    released = true;
    notifyAll();
  }
}
