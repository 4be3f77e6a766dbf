package dev.tether.bench.twojvm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks that the messages of one connection arrive in order, each exactly once, numbered from 0.
 * One thread at a time calls {@link #accept} (a connection's handler, reader or event loop); any
 * thread may read the counts.
 */
public final class SequenceCheck {
  private final AtomicLong received = new AtomicLong();
  private long next;
  private volatile long errors;
  private volatile String firstError;

  /** Records that message {@code seq} arrived; an unexpected number counts as an error. */
  public void accept(long seq) {
    if (seq != next) {
      error(seq);
    }
    next = seq + 1;
    // one writer: a release store is enough for readers on other threads, and costs no fence
    received.lazySet(received.get() + 1);
  }

  private void error(long seq) {
    if (firstError == null) {
      firstError = "expected message " + next + " but got " + seq;
    }
    errors = errors + 1;
  }

  /** Returns how many messages arrived. */
  public long received() {
    return received.get();
  }

  /** Returns how many arrived with a number other than the one expected. */
  public long errors() {
    return errors;
  }

  /** Returns the first error, or null. */
  public String firstError() {
    return firstError;
  }
}
