package dev.tether.bench.report;

import dev.tether.bench.report.TwoJvmResults.Point;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * The panels of {@code summary.png}: two JVMs on the left, one JVM on the right; round trips on top
 * (absolute, they are comparable), throughput below as ratios to raw and to Netty (absolute bars
 * would be dwarfed by raw). Every contender has the same colour in every panel ({@link Palette}).
 */
final class Charts {
  private static final int WIDTH = 800;
  private static final int HEIGHT = 450;

  private final Results oneJvm;
  private final TwoJvmResults twoJvm;

  Charts(Results oneJvm, TwoJvmResults twoJvm) {
    this.oneJvm = oneJvm;
    this.twoJvm = twoJvm;
  }

  /** Returns the panels row by row, two per row. */
  List<CategoryChart> panels() {
    return List.of(
        twoJvmLatency(),
        oneJvmLatency(),
        twoJvmRatios("RAW", "Two JVMs: throughput ÷ raw (higher is faster)"),
        oneJvmRatios("RawThroughput.oneWay", "One JVM: one-way throughput ÷ raw, 64 B, 1 conn"),
        twoJvmRatios("NETTY", "Two JVMs: throughput ÷ Netty (higher is faster)"),
        oneJvmRatios(
            "NettyThroughput.oneWay", "One JVM: one-way throughput ÷ Netty, 64 B, 1 conn"));
  }

  private static CategoryChart chart(String title, String x, String y) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    // below the plot, in a row: inside, it covered the first group's bars
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setXAxisLabelRotation(20);
    return chart;
  }

  private static void add(
      CategoryChart chart, String contender, String suffix, List<String> x, List<Double> y) {
    Palette p = Palette.of(contender);
    List<Double> values = new ArrayList<>();
    for (double v : y) {
      values.add(Double.isNaN(v) ? 0.0 : v);
    }
    CategorySeries series = chart.addSeries(p.label() + suffix, x, values);
    series.setFillColor(p.color());
  }

  /**
   * Puts the y axis on a log scale, starting at the power of ten below the smallest bar but no
   * higher than {@code highestStart} (so that a ratio of 1 still shows as a bar), if every bar is
   * above 0 (bars start at 0, which a log axis cannot show); returns whether it did.
   */
  private static boolean logScale(CategoryChart chart, double highestStart) {
    double smallest =
        chart.getSeriesMap().values().stream()
            .flatMap(series -> series.getYData().stream())
            .mapToDouble(Number::doubleValue)
            .min()
            .orElse(0);
    boolean log = smallest > 0;
    chart.getStyler().setYAxisLogarithmic(log);
    if (log) {
      chart
          .getStyler()
          .setYAxisMin(Math.min(highestStart, Math.pow(10, Math.floor(Math.log10(smallest)))));
    } else {
      chart.setYAxisTitle(chart.getYAxisTitle().replace(" (log scale)", ""));
    }
    return log;
  }

  /** XChart cannot draw a chart without series: an empty panel says what is missing. */
  private static CategoryChart empty(CategoryChart chart) {
    if (chart.getSeriesMap().isEmpty()) {
      chart.setTitle(chart.getTitle() + " (not measured)");
      chart
          .addSeries("none", List.of("none"), List.of(0.0))
          .setFillColor(java.awt.Color.LIGHT_GRAY);
      chart.getStyler().setLegendVisible(false);
    }
    return chart;
  }

  private CategoryChart twoJvmLatency() {
    CategoryChart chart =
        chart(
            "Two JVMs: round trip, json, median of rounds (lower is better)",
            "",
            "microseconds (log scale)");
    List<Point> points = twoJvm.points("ROUND_TRIP");
    if (!points.isEmpty()) {
      Point point = points.get(0);
      List<String> x = List.of("p50", "p90", "p99");
      for (String c : List.of("TETHER", "TETHER_POOL", "TETHER_LOOP", "NETTY", "RAW")) {
        if (twoJvm.has(point.of(c))) {
          add(
              chart,
              c,
              "",
              x,
              x.stream().map(p -> twoJvm.spread(point.of(c), p).median()).toList());
        }
      }
    }
    // p99 is often 10-100× p50: a log scale keeps both readable
    if (!logScale(chart, Double.MAX_VALUE)) {
      chart.setYAxisTitle("microseconds");
    }
    return empty(chart);
  }

  private CategoryChart twoJvmRatios(String baseline, String title) {
    CategoryChart chart = chart(title, "", "× " + Palette.of(baseline).label() + " (log scale)");
    List<Point> points = new ArrayList<>();
    points.addAll(twoJvm.points("ECHO"));
    points.addAll(twoJvm.points("ONE_WAY"));
    List<String> x = new ArrayList<>();
    for (Point p : points) {
      x.add(
          String.format(
              Locale.ROOT,
              "%s %s ×%d",
              p.workload().equals("ECHO") ? "echo" : "1-way",
              p.codec(),
              p.connections()));
    }
    List<String> contenders =
        baseline.equals("RAW")
            ? List.of("TETHER", "TETHER_POOL", "TETHER_LOOP", "NETTY")
            : List.of("TETHER", "TETHER_POOL", "TETHER_LOOP");
    if (!points.isEmpty()) {
      for (String c : contenders) {
        List<Double> y = new ArrayList<>();
        for (Point p : points) {
          y.add(twoJvm.ratio(p.of(c), p.of(baseline), "rate").median());
        }
        add(chart, c, "", x, y);
      }
    }
    // ratios to raw span orders of magnitude, and ratios around 1 read the same either way up
    logScale(chart, 0.1);
    return empty(chart);
  }

  private CategoryChart oneJvmLatency() {
    CategoryChart chart =
        chart(
            "One JVM (JMH): round trip p50 (lower is better)", "codec", "microseconds (log scale)");
    Set<String> codecs = new LinkedHashSet<>();
    for (Result r : oneJvm.of("TetherLatency.roundTrip")) {
      codecs.add(r.param("codec"));
    }
    List<String> x = new ArrayList<>(codecs);
    if (!x.isEmpty()) {
      add(
          chart,
          "TETHER",
          "",
          x,
          p50(
              x,
              c ->
                  oneJvm.find(
                      "TetherLatency.roundTrip",
                      Results.with("codec", c).and(Results.with("handlers", "default")))));
      add(
          chart,
          "TETHER_LOOP",
          "",
          x,
          p50(
              x,
              c ->
                  oneJvm.find(
                      "TetherLatency.roundTrip",
                      Results.with("codec", c).and(Results.with("handlers", "loop")))));
      add(
          chart,
          "NETTY",
          "",
          x,
          p50(x, c -> oneJvm.find("NettyLatency.roundTrip", Results.with("codec", c))));
      add(chart, "RAW", "", x, p50(x, c -> oneJvm.find("RawLatency.roundTrip", r -> true)));
    }
    logScale(chart, Double.MAX_VALUE);
    return empty(chart);
  }

  private static List<Double> p50(
      List<String> codecs, Function<String, java.util.Optional<Result>> find) {
    return codecs.stream()
        .map(c -> find.apply(c).map(r -> r.percentile("50.0")).orElse(Double.NaN))
        .toList();
  }

  private CategoryChart oneJvmRatios(String baseline, String title) {
    boolean raw = baseline.startsWith("Raw");
    CategoryChart chart = chart(title, "codec", (raw ? "× raw" : "× Netty") + " (log scale)");
    Set<String> codecs = new LinkedHashSet<>();
    for (Result r : oneJvm.of("TetherThroughput.oneWay")) {
      if (r.param("size").equals("64") && r.param("connections").equals("1")) {
        codecs.add(r.param("codec"));
      }
    }
    List<String> x = new ArrayList<>(codecs);
    if (!x.isEmpty()) {
      List<String> numerators =
          raw
              ? List.of("TetherThroughput.oneWay", "NettyThroughput.oneWay")
              : List.of("TetherThroughput.oneWay");
      for (String numerator : numerators) {
        List<Double> y = new ArrayList<>();
        for (String codec : x) {
          double a = score(numerator, codec);
          double b = raw ? score(baseline, null) : score(baseline, codec);
          y.add(a / b);
        }
        add(chart, numerator.startsWith("Tether") ? "TETHER" : "NETTY", "", x, y);
      }
    }
    // ratios to raw span orders of magnitude, and ratios around 1 read the same either way up
    logScale(chart, 0.1);
    return empty(chart);
  }

  private double score(String benchmark, String codec) {
    return oneJvm
        .find(
            benchmark,
            r ->
                (codec == null || r.param("codec").equals(codec))
                    && r.param("size").equals("64")
                    && r.param("connections").equals("1"))
        .map(Result::score)
        .orElse(Double.NaN);
  }
}
