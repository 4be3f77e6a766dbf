package dev.tether.bench.report;

import dev.tether.bench.report.TwoJvmResults.Point;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.DoubleStream;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * The panels of {@code summary.png}: two JVMs on the left, one JVM on the right (only the set a run
 * measured, if it measured one); round trips on top (absolute, they are comparable), throughput
 * below as ratios to raw and to Netty (absolute bars would be dwarfed by raw), each bar labelled
 * with its value and the hot-path goals drawn as red lines. Every contender has the same colour in
 * every panel ({@link Palette}); one the run did not measure has no bars or legend entry.
 */
final class Charts {
  private static final int WIDTH = 800;
  private static final int HEIGHT = 450;

  /** The hot-path goals, drawn as lines: the transport alone at half the raw limit or more. */
  private static final double RAW_GOAL = 0.5;

  /** Throughput with {@code json} and {@code fury} at 1.5× Netty's with the same codec or more. */
  private static final double NETTY_GOAL = 1.5;

  private final Results oneJvm;
  private final TwoJvmResults twoJvm;

  Charts(Results oneJvm, TwoJvmResults twoJvm) {
    this.oneJvm = oneJvm;
    this.twoJvm = twoJvm;
  }

  /**
   * Returns the panels row by row, {@link #columns} per row: two JVMs on the left and one JVM on
   * the right when the run measured both, else only the set it measured (a run of the two-JVM
   * harness alone has no empty one-JVM column).
   */
  List<CategoryChart> panels() {
    List<CategoryChart> two =
        List.of(
            twoJvmLatency(),
            twoJvmRatios(
                "RAW",
                "Two JVMs: throughput ÷ raw (higher is faster)",
                new Goal(
                    RAW_GOAL,
                    "1-way bytes",
                    p -> p.workload().equals("ONE_WAY") && p.codec().equals("bytes"))),
            twoJvmRatios(
                "NETTY",
                "Two JVMs: throughput ÷ Netty (higher is faster)",
                new Goal(
                    NETTY_GOAL,
                    "json and fury",
                    p -> p.codec().equals("json") || p.codec().equals("fury"))));
    List<CategoryChart> one =
        List.of(
            oneJvmLatency(),
            oneJvmRatios("RawThroughput.oneWay", "One JVM: one-way throughput ÷ raw, 64 B, 1 conn"),
            oneJvmRatios(
                "NettyThroughput.oneWay", "One JVM: one-way throughput ÷ Netty, 64 B, 1 conn"));
    if (columns() == 1) {
      return twoJvm.isEmpty() ? one : two;
    }
    List<CategoryChart> rows = new ArrayList<>();
    for (int i = 0; i < two.size(); i++) {
      rows.add(two.get(i));
      rows.add(one.get(i));
    }
    return rows;
  }

  /** Two columns if the run measured both with two JVMs and with one (or neither), else one. */
  int columns() {
    return twoJvm.isEmpty() == oneJvm.isEmpty() ? 2 : 1;
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
    // each bar carries its value: a log axis labels only powers of ten, and 1.6 and 3.2 are
    // both "between 1 and 10"
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsRotation(90);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
    chart.getStyler().setLabelsFontColor(Color.DARK_GRAY);
    chart.getStyler().setDecimalPattern("0.0##");
    return chart;
  }

  /** A hot-path goal: a ratio, the points it is for, and how the title names them. */
  private record Goal(double ratio, String what, Predicate<Point> appliesTo) {}

  /**
   * Draws the goal across the panel as a dashed red line, says in the title what it is the goal
   * for, and stretches the y axis to show it; nothing if no point it is for was measured.
   */
  private static void goal(CategoryChart chart, Goal target, List<Point> points) {
    if (chart.getSeriesMap().isEmpty() || points.stream().noneMatch(target.appliesTo())) {
      return;
    }
    double goal = target.ratio();
    double largest = bars(chart).max().orElse(0);
    if (largest < goal * 1.2) {
      chart.getStyler().setYAxisMax(goal * 1.5);
    }
    chart.getStyler().setAnnotationLineColor(Color.RED);
    chart
        .getStyler()
        .setAnnotationLineStroke(
            new BasicStroke(
                1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    chart.addAnnotation(new AnnotationLine(goal, false, false));
    chart.setTitle(
        chart.getTitle()
            + "; red line: goal for "
            + target.what()
            + ", "
            + new DecimalFormat("0.0##").format(goal)
            + "×");
  }

  /**
   * Adds a contender's bars; one measured nowhere in this panel gets no bars, gap or legend entry
   * (a run of a few contenders has no empty slots for the others).
   */
  private static void add(
      CategoryChart chart, String contender, String suffix, List<String> x, List<Double> y) {
    if (y.stream().allMatch(v -> Double.isNaN(v))) {
      return;
    }
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
    double smallest = bars(chart).min().orElse(0);
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

  /** The values of every bar of every series. */
  private static DoubleStream bars(CategoryChart chart) {
    return chart.getSeriesMap().values().stream()
        .flatMap(series -> series.getYData().stream())
        .mapToDouble(Number::doubleValue);
  }

  /** Gives bars a fourth decimal if one is below 0.01, so that it does not read 0.0. */
  private static void smallRatioLabels(CategoryChart chart) {
    boolean small = bars(chart).anyMatch(v -> v > 0 && v < 0.01);
    if (small) {
      chart.getStyler().setDecimalPattern("0.0###");
    }
  }

  /** XChart cannot draw a chart without series: an empty panel says what is missing. */
  private static CategoryChart empty(CategoryChart chart) {
    if (chart.getSeriesMap().isEmpty()) {
      chart.setTitle(chart.getTitle() + " (not measured)");
      chart.addSeries("none", List.of("none"), List.of(0.0)).setFillColor(Color.LIGHT_GRAY);
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
    chart.getStyler().setDecimalPattern("0.0");
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

  private CategoryChart twoJvmRatios(String baseline, String title, Goal goal) {
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
    smallRatioLabels(chart);
    goal(chart, goal, points);
    return empty(chart);
  }

  private CategoryChart oneJvmLatency() {
    CategoryChart chart =
        chart(
            "One JVM (JMH): round trip p50 (lower is better)", "codec", "microseconds (log scale)");
    chart.getStyler().setDecimalPattern("0.0");
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
    smallRatioLabels(chart);
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
