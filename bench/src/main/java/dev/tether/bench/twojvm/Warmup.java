package dev.tether.bench.twojvm;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Decides when a workload has warmed up: once the figure has stopped improving, that is when the
 * median of the last {@value #WINDOW} intervals is within {@value #IMPROVEMENT_PERCENT}% of the
 * median of the {@value #WINDOW} before, and the JIT of this JVM spent less than {@value
 * #JIT_PERCENT}% of those last intervals compiling, and at least the minimum time has passed; or
 * when the maximum time has passed, in which case the measurement is marked as possibly not at
 * steady state.
 *
 * <p>A fixed warm-up is wrong on one machine or another: on 2 busy cores the JIT needed from 1 s
 * (raw sockets) to 20 s (Netty with JSON) before the figures stopped moving, and two JVMs need
 * longer than one because each compiles its own copy of the code. The figure alone is not enough on
 * a busy machine: it moves in steps as methods get compiled and jumps with the neighbours' load, so
 * a flat stretch between two compilations looks settled; the JIT going quiet says it is, and in a
 * two-JVM measurement that means both JITs: the server's too, since it is often the end that limits
 * the rate (one-way: it decodes). Not thread safe.
 */
final class Warmup {
  /** Length of one interval of the warm-up, over which one figure is taken. */
  static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private static final int WINDOW = 4;
  private static final int IMPROVEMENT_PERCENT = 10;
  private static final int JIT_PERCENT = 10;

  private final long minNanos;
  private final long maxNanos;
  private final boolean higherIsBetter;
  private final LongSupplier compileMillis;
  private final List<Double> figures = new ArrayList<>();
  private final List<Long> compiled = new ArrayList<>();
  private boolean settled;

  /**
   * Watches this JVM's JIT and, if {@code peerPid} is positive, that of the process with that id.
   *
   * @param higherIsBetter true for rates, false for latencies
   * @throws IllegalArgumentException if the maximum is below the minimum
   */
  Warmup(long minNanos, long maxNanos, boolean higherIsBetter, long peerPid) {
    this(minNanos, maxNanos, higherIsBetter, jitMillis(peerPid));
  }

  /**
   * @param compileMillis the JIT's total compilation time so far, in milliseconds
   * @throws IllegalArgumentException if the maximum is below the minimum
   */
  Warmup(long minNanos, long maxNanos, boolean higherIsBetter, LongSupplier compileMillis) {
    if (maxNanos < minNanos) {
      throw new IllegalArgumentException(
          "maximum warm-up " + maxNanos + " ns is below the minimum " + minNanos + " ns");
    }
    this.minNanos = minNanos;
    this.maxNanos = maxNanos;
    this.higherIsBetter = higherIsBetter;
    this.compileMillis = compileMillis;
  }

  /** This JVM's compilation time, plus the CPU time of the peer's compiler threads. */
  private static LongSupplier jitMillis(long peerPid) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    LongSupplier own =
        jit == null || !jit.isCompilationTimeMonitoringSupported()
            ? () -> 0
            : jit::getTotalCompilationTime;
    return peerPid > 0 ? () -> own.getAsLong() + ThreadStats.compilerMillis(peerPid) : own;
  }

  /**
   * Records the figure of the interval that ended {@code elapsedNanos} after the warm-up began (NaN
   * if nothing completed in it), and returns true if the warm-up is over.
   */
  boolean over(long elapsedNanos, double figure) {
    figures.add(figure);
    compiled.add(compileMillis.getAsLong());
    settled = figuresSettled() && jitQuiet();
    if (elapsedNanos >= maxNanos) {
      return true;
    }
    return elapsedNanos >= minNanos && settled;
  }

  /** Returns true if the warm-up ended because the figure settled, false if it hit the maximum. */
  boolean settled() {
    return settled;
  }

  private boolean figuresSettled() {
    int n = figures.size();
    if (n < 2 * WINDOW) {
      return false;
    }
    double recent = median(figures.subList(n - WINDOW, n));
    double before = median(figures.subList(n - 2 * WINDOW, n - WINDOW));
    if (Double.isNaN(recent) || Double.isNaN(before)) {
      return false;
    }
    double gain = higherIsBetter ? recent / before : before / recent;
    return gain <= 1 + IMPROVEMENT_PERCENT / 100.0;
  }

  private boolean jitQuiet() {
    int n = compiled.size();
    if (n <= WINDOW) {
      return false;
    }
    long spent = compiled.get(n - 1) - compiled.get(n - 1 - WINDOW);
    long span = TimeUnit.NANOSECONDS.toMillis(INTERVAL_NANOS) * WINDOW;
    return spent * 100 < span * JIT_PERCENT;
  }

  /** Returns the figure of every interval so far, the warm-up's curve. */
  List<Double> figures() {
    return figures;
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v); // NaN sorts last
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
