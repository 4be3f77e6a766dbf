package dev.tether.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** Prints the codec comparison as a table and draws it as a PNG chart. */
final class ComparisonReport {
  private ComparisonReport() {}

  /** Returns the table: one row per codec, in the order measured. */
  static String table(List<CodecResult> results) {
    StringBuilder s = new StringBuilder();
    String format = "%-6s %11s %9s %10s %10s %10s  %s%n";
    s.append(
        String.format(
            Locale.ROOT,
            format,
            "codec",
            "msgs/s",
            "MB/s",
            "rtt p50",
            "rtt p99",
            "bytes/msg",
            "carries"));
    for (CodecResult r : results) {
      s.append(
          String.format(
              Locale.ROOT,
              format,
              r.codec(),
              count(r.messagesPerSecond()),
              String.format(Locale.ROOT, "%.1f", r.megabytesPerSecond()),
              micros(r.roundTripP50Micros()),
              micros(r.roundTripP99Micros()),
              r.encodedBytes(),
              r.carries()));
    }
    return s.toString();
  }

  private static String count(double perSecond) {
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", perSecond / 1e6);
    }
    if (perSecond >= 1e3) {
      return String.format(Locale.ROOT, "%.0fk", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", perSecond);
  }

  private static String micros(double micros) {
    return micros >= 1000
        ? String.format(Locale.ROOT, "%.2f ms", micros / 1000)
        : String.format(Locale.ROOT, "%.0f us", micros);
  }

  /**
   * Writes three bar charts side by side — one-way messages per second, round trip p50 and p99,
   * encoded bytes per message — to {@code file}, a PNG.
   *
   * @return the file written
   */
  static Path chart(List<CodecResult> results, String title, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<String> codecs = results.stream().map(CodecResult::codec).toList();
    List<Chart<?, ?>> charts = new ArrayList<>();

    CategoryChart throughput = chart("one-way messages/s — " + title, "messages/s");
    throughput.getStyler().setLegendVisible(false);
    throughput.addSeries(
        "messages/s", codecs, results.stream().map(CodecResult::messagesPerSecond).toList());
    charts.add(throughput);

    CategoryChart latency = chart("request/response round trip", "µs");
    latency.addSeries(
        "p50", codecs, results.stream().map(CodecResult::roundTripP50Micros).toList());
    latency.addSeries(
        "p99", codecs, results.stream().map(CodecResult::roundTripP99Micros).toList());
    charts.add(latency);

    CategoryChart size = chart("encoded size of one message", "bytes");
    size.getStyler().setLegendVisible(false);
    size.addSeries("bytes", codecs, results.stream().map(r -> (double) r.encodedBytes()).toList());
    charts.add(size);

    String name = file.toString();
    String base =
        name.toLowerCase(Locale.ROOT).endsWith(".png")
            ? name.substring(0, name.length() - 4)
            : name;
    BitmapEncoder.saveBitmap(charts, 1, 3, base, BitmapEncoder.BitmapFormat.PNG);
    return Path.of(base + ".png");
  }

  private static CategoryChart chart(String title, String yAxis) {
    CategoryChart chart =
        new CategoryChartBuilder().width(560).height(420).title(title).yAxisTitle(yAxis).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setPlotGridVerticalLinesVisible(false);
    chart.getStyler().setYAxisDecimalPattern("#,###");
    return chart;
  }
}
