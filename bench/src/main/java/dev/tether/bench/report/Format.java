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
    return b == 0 || Double.isNaN(a) || Double.isNaN(b)
        ? "–"
        : String.format(Locale.ROOT, "%.2f", a / b);
  }
}
