package dev.tether.internal.engine;

import java.time.Duration;

/**
 * Deadlines in {@link System#nanoTime()} units. Durations are capped at about 146 years, so that
 * {@code now + duration} never overflows into the past and deadlines compare correctly by
 * subtraction, whatever a user configures (even {@code Duration.ofSeconds(Long.MAX_VALUE)}).
 */
public final class Deadlines {
  /** 2^62 ns: far enough to mean "never", near enough that differences never overflow. */
  public static final long MAX_NANOS = 1L << 62;

  private Deadlines() {}

  /** Returns the duration in nanoseconds, capped to 0..{@link #MAX_NANOS}. */
  public static long nanos(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    if (d.getSeconds() >= MAX_NANOS / 1_000_000_000L) {
      return MAX_NANOS;
    }
    return Math.min(MAX_NANOS, d.toNanos());
  }

  /** Returns {@code now + nanos}, with {@code nanos} capped as in {@link #nanos}. */
  static long after(long now, long nanos) {
    return now + Math.min(Math.max(0, nanos), MAX_NANOS);
  }

  /** Returns the milliseconds of a duration for messages, capped like {@link #nanos}. */
  static long millis(Duration d) {
    return nanos(d) / 1_000_000;
  }
}
