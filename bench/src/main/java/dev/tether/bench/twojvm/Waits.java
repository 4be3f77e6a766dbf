package dev.tether.bench.twojvm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded waiting off the hot path, so that a stuck measurement fails instead of hanging. */
final class Waits {
  private Waits() {}

  /**
   * Waits until {@code condition} holds, checking every 100 µs, at most 30 s.
   *
   * @throws IllegalStateException naming {@code what} if it did not hold in time
   */
  static void until(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("waited 30 s for " + what);
      }
      LockSupport.parkNanos(100_000);
    }
  }

  /** Parks the calling thread until {@code System.nanoTime()} reaches {@code deadline}. */
  static void untilNanoTime(long deadline) {
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }
}
