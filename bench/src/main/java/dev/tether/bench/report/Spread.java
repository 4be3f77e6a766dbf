package dev.tether.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * The median of a few values (one per round) and how far they spread: min, max and the
 * interquartile range.
 *
 * @param n how many values
 */
record Spread(double median, double min, double max, double q1, double q3, int n) {
  static final Spread NONE =
      new Spread(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);

  /** Returns the spread of {@code values}, ignoring NaN; {@link #NONE} if none is left. */
  static Spread of(List<Double> values) {
    List<Double> sorted = new ArrayList<>();
    for (double v : values) {
      if (!Double.isNaN(v)) {
        sorted.add(v);
      }
    }
    if (sorted.isEmpty()) {
      return NONE;
    }
    Collections.sort(sorted);
    return new Spread(
        quantile(sorted, 0.5),
        sorted.get(0),
        sorted.get(sorted.size() - 1),
        quantile(sorted, 0.25),
        quantile(sorted, 0.75),
        sorted.size());
  }

  /** Linear interpolation between closest ranks, as R's default and NumPy's. */
  private static double quantile(List<Double> sorted, double q) {
    double at = q * (sorted.size() - 1);
    int lo = (int) Math.floor(at);
    int hi = (int) Math.ceil(at);
    return sorted.get(lo) + (sorted.get(hi) - sorted.get(lo)) * (at - lo);
  }

  boolean isEmpty() {
    return n == 0;
  }

  /**
   * Returns the largest distance of a value from the median, relative to the median: 0.12 means
   * every round was within ±12% of the median.
   */
  double deviation() {
    return isEmpty() ? Double.NaN : Math.max(max / median - 1, 1 - min / median);
  }

  /** Formats as {@code median [min–max]} with {@code format} for each number. */
  String format(DoubleFunction<String> format) {
    if (isEmpty()) {
      return "–";
    }
    if (n == 1) {
      return format.apply(median);
    }
    return format.apply(median) + " [" + format.apply(min) + "–" + format.apply(max) + "]";
  }

  /** Formats a ratio as {@code 0.52 [0.49–0.55] ±6%}. */
  String formatRatio() {
    if (isEmpty()) {
      return "–";
    }
    String text = format(Format::ratio);
    return n == 1 ? text : text + String.format(Locale.ROOT, " ±%.0f%%", 100 * deviation());
  }
}
