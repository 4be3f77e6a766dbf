package dev.tether.testing;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Checks that sequence numbers arrive once each, in order, from one thread at a time, and counts
 * them; the first problem seen is kept for the assertion.
 */
public final class InOrder {
  private volatile long next;
  private final AtomicReference<String> problem = new AtomicReference<>();

  /** Records the arrival of {@code seq}. */
  public synchronized void accept(long seq) {
    long expected = next;
    if (seq != expected && problem.get() == null) {
      problem.set(
          seq < expected
              ? "duplicate: " + seq + " after " + (expected - 1)
              : "gap: expected " + expected + ", got " + seq);
    }
    next = seq + 1;
  }

  /** Returns one past the last sequence number seen: the count, when nothing went wrong. */
  public long count() {
    return next;
  }

  /** Returns the first duplicate or gap seen, or {@code null}. */
  public String problem() {
    return problem.get();
  }
}
