package dev.tether.bench.twojvm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples what the server received, and with thread statistics what its threads did, every {@value
 * #SAMPLE_MILLIS} ms, so that afterwards the harness can ask what arrived during the load
 * generator's measurement time: the one-way rate is measured where it counts, at the receiver. The
 * load generator decides when its measurement starts (after an adaptive warm-up) and reports it in
 * {@link System#nanoTime()}, which on Linux is the system-wide monotonic clock and so the same in
 * both JVMs.
 *
 * <p>One daemon thread, asleep between samples. Thread safe.
 */
final class ServerMeter {
  private static final long SAMPLE_MILLIS = 100;

  private record Count(long nanos, long received) {}

  private record Threads(long nanos, ThreadStats stats) {}

  private final List<Count> counts = new ArrayList<>();
  private final List<Threads> threads = new ArrayList<>();
  private final Thread sampler;
  private volatile boolean running = true;

  ServerMeter(Tally tally, boolean threadStats) {
    sampler =
        new Thread(
            () -> {
              long next = System.nanoTime();
              while (running) {
                sample(tally, threadStats);
                next += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
                LockSupport.parkNanos(next - System.nanoTime());
              }
              sample(tally, threadStats); // the last, so that the samples cover the measurement
            },
            "server-meter");
    sampler.setDaemon(true);
    sampler.start();
  }

  /**
   * Records the count, and the threads' statistics with the same time, so that they go together.
   */
  private synchronized void sample(Tally tally, boolean threadStats) {
    long now = System.nanoTime();
    counts.add(new Count(now, tally.received()));
    if (threadStats) {
      threads.add(new Threads(now, ThreadStats.snapshot()));
    }
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

  /**
   * Returns what the server's threads did between the first thread sample at or after {@code
   * fromNanos} and the last at or before {@code toNanos}, with the messages received meanwhile;
   * empty without thread statistics. Samples inside the measurement time, not the nearest ones: a
   * thread that ends as the load generator disconnects (raw's reader) is in both.
   */
  synchronized Map<String, Object> threads(long fromNanos, long toNanos) {
    Map<String, Object> out = new LinkedHashMap<>();
    Threads from = null;
    Threads to = null;
    for (Threads t : threads) {
      if (from == null && t.nanos() - fromNanos >= 0) {
        from = t;
      }
      if (t.nanos() - toNanos <= 0) {
        to = t;
      }
    }
    if (from == null || to == null || to.nanos() - from.nanos() <= 0) {
      return out;
    }
    out.put("messages", Math.round(receivedAt(to.nanos()) - receivedAt(from.nanos())));
    out.put("threads", to.stats().since(from.stats()));
    return out;
  }

  /** Stops sampling, after one last sample. */
  void stop() throws InterruptedException {
    running = false;
    LockSupport.unpark(sampler);
    sampler.join(1000);
  }
}
