package dev.tether.bench.twojvm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures the one-way rate where it counts, at the receiver: from the first message on, it lets
 * the warm-up pass, then counts what arrives during the measurement time. Runs on its own thread,
 * which reads the counters twice and otherwise sleeps.
 */
final class SinkClock {
  private final Thread thread;
  private volatile long count = -1;
  private volatile long nanos;

  SinkClock(Tally tally, long warmupMillis, long measureMillis) {
    thread =
        new Thread(
            () -> {
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
              while (tally.received() == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(200_000);
              }
              long first = System.nanoTime();
              Waits.untilNanoTime(first + TimeUnit.MILLISECONDS.toNanos(warmupMillis));
              long c0 = tally.received();
              long t0 = System.nanoTime();
              Waits.untilNanoTime(t0 + TimeUnit.MILLISECONDS.toNanos(measureMillis));
              long c1 = tally.received();
              long t1 = System.nanoTime();
              nanos = t1 - t0;
              count = c1 - c0;
            },
            "sink-clock");
    thread.setDaemon(true);
    thread.start();
  }

  /** Returns messages per second over the measurement time, or NaN if it has not ended. */
  double perSecond() {
    return count < 0 ? Double.NaN : count * 1e9 / nanos;
  }

  /** Waits for the measurement time to end, at most {@code millis}. */
  void await(long millis) throws InterruptedException {
    thread.join(millis);
  }
}
