package dev.tether.bench.support;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Bounded waiting for a counter, so that a stuck benchmark fails instead of hanging. */
public final class Await {
  private Await() {}

  /** Waits, yielding the core, until {@code counter} reaches {@code target}, at most 60 s. */
  public static void atLeast(LongSupplier counter, long target, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (counter.getAsLong() < target) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            what + ": only " + counter.getAsLong() + " of " + target + " arrived within 60 s");
      }
      Thread.yield();
    }
  }
}
