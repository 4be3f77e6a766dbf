package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WarmupTest {
  private static final long SECOND = 1_000_000_000L;

  /** The JIT's total compilation time in milliseconds, as the test says it is. */
  private final AtomicLong jit = new AtomicLong();

  /**
   * Feeds one figure per 500 ms interval, the JIT compiling for {@code jitMillisPerInterval[i]}
   * during interval i (0 where not given); returns after how many intervals the warm-up ended, or
   * -1.
   */
  private int intervalsUntilOver(Warmup warmup, long[] jitMillisPerInterval, double... figures) {
    for (int i = 0; i < figures.length; i++) {
      jit.addAndGet(i < jitMillisPerInterval.length ? jitMillisPerInterval[i] : 0);
      if (warmup.over((i + 1) * Warmup.INTERVAL_NANOS, figures[i])) {
        return i + 1;
      }
    }
    return -1;
  }

  private Warmup warmup(long min, long max, boolean higherIsBetter) {
    return new Warmup(min, max, higherIsBetter, jit::get);
  }

  @Test
  void endsWhenARateStopsRisingAndTheJitIsQuiet() {
    Warmup warmup = warmup(SECOND, 30 * SECOND, true);
    int n =
        intervalsUntilOver(
            warmup, new long[0], 1, 5, 20, 60, 90, 100, 104, 98, 103, 101, 99, 102, 100, 101);
    // medians of 4: 100 (98 103 101 99) against 95 (60 90 100 104), within 10%
    assertThat(n).isEqualTo(11);
    assertThat(warmup.settled()).isTrue();
  }

  @Test
  void endsWhenALatencyStopsFalling() {
    Warmup warmup = warmup(SECOND, 30 * SECOND, false);
    int n = intervalsUntilOver(warmup, new long[0], 900, 400, 120, 60, 42, 40, 41, 39, 40, 40, 41);
    // medians of 4: 40 (39 40 40 41) against 41.5 (60 42 40 41), within 10%
    assertThat(n).isEqualTo(11);
  }

  @Test
  void aFlatStretchIsNotSettledWhileTheJitIsStillCompiling() {
    Warmup warmup = warmup(SECOND, 30 * SECOND, true);
    long[] compiling = {400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 0, 0, 0, 0};
    int n =
        intervalsUntilOver(
            warmup, compiling, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50);
    // the figure is flat from the start; the JIT is quiet over the last 4 intervals only at 14
    assertThat(n).isEqualTo(14);
  }

  @Test
  void waitsForTheMinimumEvenIfTheFigureIsFlat() {
    Warmup warmup = warmup(6 * SECOND, 30 * SECOND, true);
    double[] flat = new double[20];
    java.util.Arrays.fill(flat, 10);
    assertThat(intervalsUntilOver(warmup, new long[0], flat)).isEqualTo(12);
  }

  @Test
  void givesUpAtTheMaximumAndSaysSo() {
    Warmup warmup = warmup(SECOND, 4 * SECOND, true);
    assertThat(intervalsUntilOver(warmup, new long[0], 1, 2, 4, 8, 16, 32, 64, 128, 256))
        .isEqualTo(8);
    assertThat(warmup.settled()).isFalse();
  }

  @Test
  void anIntervalWithoutAFigureIsNotSettled() {
    Warmup warmup = warmup(0, 30 * SECOND, false);
    assertThat(
            intervalsUntilOver(
                warmup, new long[0], Double.NaN, Double.NaN, Double.NaN, Double.NaN, 5, 5, 5, 5))
        .isEqualTo(-1);
  }

  @Test
  void rejectsAMaximumBelowTheMinimum() {
    assertThatThrownBy(() -> new Warmup(2 * SECOND, SECOND, true, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("below the minimum");
  }
}
