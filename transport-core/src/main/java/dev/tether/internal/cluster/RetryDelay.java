package dev.tether.internal.cluster;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: after {@code n} failures in a row, wait {@code first * 2^(n-1)},
 * at most {@code max}, each time scaled by a random factor in [0.8, 1.2) so that the nodes of a
 * cluster that lost the same peer do not retry in step. Immutable.
 */
record RetryDelay(Duration first, Duration max) {
  private static final double JITTER = 0.2;

  RetryDelay {
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("the first retry delay must be positive: " + first);
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "the maximum retry delay " + max + " is shorter than the first, " + first);
    }
  }

  /** Returns how long to wait after {@code failures} (at least 1) failed attempts in a row. */
  long nanosAfter(int failures) {
    int doublings = Math.min(Math.max(failures, 1) - 1, 30);
    long base = Math.min(max.toNanos(), first.toNanos() << doublings);
    if (first.toNanos() << doublings >>> doublings != first.toNanos()) {
      base = max.toNanos(); // the shift overflowed
    }
    double factor = 1 - JITTER + 2 * JITTER * ThreadLocalRandom.current().nextDouble();
    return Math.min(max.toNanos(), (long) (base * factor));
  }
}
