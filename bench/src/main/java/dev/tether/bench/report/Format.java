package dev.tether.bench.report;

import java.util.Locale;

/** Number formats shared by the report's tables. */
final class Format {
  private Format() {}

  /** A count or rate: 1.23M, 456k, 789. */
  static String count(double value) {
    if (Double.isNaN(value)) {
      return "–";
    }
    if (value >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", value / 1e6);
    }
    if (value >= 1e4) {
      return String.format(Locale.ROOT, "%.0fk", value / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", value);
  }

  /** Microseconds with one decimal. */
  static String micros(double value) {
    return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%.1f", value);
  }

  /** a / b with two decimals, or a dash. */
  static String ratio(double a, double b) {
    return b == 0 || Double.isNaN(a) || Double.isNaN(b) ? "–" : ratio(a / b);
  }

  /** A ratio: two decimals, or three significant digits below 0.1, so that none reads 0.00. */
  static String ratio(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "–";
    }
    if (Math.abs(value) >= 0.1 || value == 0) {
      return String.format(Locale.ROOT, "%.2f", value);
    }
    return new java.math.BigDecimal(value)
        .round(new java.math.MathContext(3))
        .stripTrailingZeros()
        .toPlainString();
  }
}
