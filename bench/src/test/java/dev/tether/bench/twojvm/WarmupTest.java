package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WarmupTest {
  private static final long SECOND = 1_000_000_000L;

  /** Feeds figures at 500 ms intervals; returns after how many intervals the warm-up ended. */
  private static int intervalsUntilOver(Warmup warmup, double... figures) {
    for (int i = 0; i < figures.length; i++) {
      if (warmup.over((i + 1) * Warmup.INTERVAL_NANOS, figures[i])) {
        return i + 1;
      }
    }
    return -1;
  }

  @Test
  void endsWhenARateStopsRising() {
    Warmup warmup = new Warmup(SECOND, 30 * SECOND, true);
    int n = intervalsUntilOver(warmup, 1, 5, 20, 60, 90, 100, 104, 98, 103, 101, 99, 102);
    assertThat(n).isEqualTo(10); // medians 101 (98 103 101) and 100 (90 100 104): within 10%
    assertThat(warmup.settled()).isTrue();
  }

  @Test
  void endsWhenALatencyStopsFalling() {
    Warmup warmup = new Warmup(SECOND, 30 * SECOND, false);
    int n = intervalsUntilOver(warmup, 900, 400, 120, 60, 42, 40, 41, 39, 40, 40);
    assertThat(n).isEqualTo(9); // medians 40 (41 39 40) and 42 (60 42 40): within 10%
  }

  @Test
  void waitsForTheMinimumEvenIfTheFigureIsFlat() {
    Warmup warmup = new Warmup(4 * SECOND, 30 * SECOND, true);
    assertThat(intervalsUntilOver(warmup, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10)).isEqualTo(8);
  }

  @Test
  void givesUpAtTheMaximumAndSaysSo() {
    Warmup warmup = new Warmup(SECOND, 3 * SECOND, true);
    assertThat(intervalsUntilOver(warmup, 1, 2, 4, 8, 16, 32, 64, 128)).isEqualTo(6);
    assertThat(warmup.settled()).isFalse();
  }

  @Test
  void anIntervalWithoutAFigureIsNotSettled() {
    Warmup warmup = new Warmup(0, 30 * SECOND, false);
    assertThat(intervalsUntilOver(warmup, Double.NaN, Double.NaN, Double.NaN, 5, 5, 5))
        .isEqualTo(-1);
  }

  @Test
  void rejectsAMaximumBelowTheMinimum() {
    assertThatThrownBy(() -> new Warmup(2 * SECOND, SECOND, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("below the minimum");
  }
}
