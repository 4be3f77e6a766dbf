package dev.tether.bench.twojvm;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Round-trip times in nanoseconds, kept whole and sorted once at the end. Not thread safe. */
final class Percentiles {
  private long[] nanos = new long[1 << 16];
  private int count;

  void add(long value) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, count * 2);
    }
    nanos[count++] = value;
  }

  int count() {
    return count;
  }

  /**
   * Returns p50, p90, p99, p99.9, mean and max in microseconds, and the sample count.
   *
   * @throws IllegalStateException if there are no samples
   */
  Map<String, Object> summary() {
    if (count == 0) {
      throw new IllegalStateException("no round trips completed in the measurement time");
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    long sum = 0;
    for (long v : sorted) {
      sum += v;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("p50", rank(sorted, 0.50));
    out.put("p90", rank(sorted, 0.90));
    out.put("p99", rank(sorted, 0.99));
    out.put("p999", rank(sorted, 0.999));
    out.put("mean", sum / 1e3 / count);
    out.put("max", sorted[count - 1] / 1e3);
    out.put("samples", count);
    return out;
  }

  /** The nearest-rank percentile, in microseconds. */
  private static double rank(long[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1e3;
  }
}
