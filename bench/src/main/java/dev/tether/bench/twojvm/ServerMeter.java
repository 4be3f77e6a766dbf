package dev.tether.bench.twojvm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples what the server received every {@value #SAMPLE_MILLIS} ms, so that afterwards the harness
 * can ask what arrived during the load generator's measurement time: the one-way rate is measured
 * where it counts, at the receiver. The load generator decides when its measurement starts (after
 * an adaptive warm-up) and reports it in {@link System#nanoTime()}, which on Linux is the
 * system-wide monotonic clock and so the same in both JVMs. (What the server's threads did is read
 * by the load generator, as its measurement opens and closes: see {@code LoadGenerator}.)
 *
 * <p>One daemon thread, asleep between samples. Thread safe.
 */
final class ServerMeter {
  private static final long SAMPLE_MILLIS = 100;

  private record Count(long nanos, long received) {}

  private final List<Count> counts = new ArrayList<>();
  private final Thread sampler;
  private volatile boolean running = true;

  ServerMeter(Tally tally) {
    sampler =
        new Thread(
            () -> {
              long next = System.nanoTime();
              while (running) {
                sample(tally);
                next += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
                LockSupport.parkNanos(next - System.nanoTime());
              }
              sample(tally); // the last, so that the samples cover the measurement
            },
            "server-meter");
    sampler.setDaemon(true);
    sampler.start();
  }

  private synchronized void sample(Tally tally) {
    counts.add(new Count(System.nanoTime(), tally.received()));
  }

  /**
   * Returns the messages received per second between {@code fromNanos} and {@code toNanos},
   * interpolating between samples; NaN if the samples do not cover that time.
   */
  synchronized double perSecond(long fromNanos, long toNanos) {
    double from = receivedAt(fromNanos);
    double to = receivedAt(toNanos);
    return (to - from) * 1e9 / (toNanos - fromNanos);
  }

  private double receivedAt(long nanos) {
    for (int i = 1; i < counts.size(); i++) {
      Count a = counts.get(i - 1);
      Count b = counts.get(i);
      if (a.nanos() - nanos <= 0 && b.nanos() - nanos >= 0) {
        double f =
            b.nanos() == a.nanos() ? 0 : (double) (nanos - a.nanos()) / (b.nanos() - a.nanos());
        return a.received() + f * (b.received() - a.received());
      }
    }
    return Double.NaN;
  }

  /** Stops sampling, after one last sample. */
  void stop() throws InterruptedException {
    running = false;
    LockSupport.unpark(sampler);
    sampler.join(1000);
  }
}
