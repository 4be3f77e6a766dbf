package dev.tether.bench.report;

import dev.tether.bench.support.BenchMessages;
import dev.tether.bench.support.Codecs;
import dev.tether.codec.EncodeBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Writes {@code summary.md} and {@code summary.png} from a JMH JSON result file: every Tether
 * figure next to the raw limit and Netty from the same run, as ratios.
 *
 * <p>Usage: {@code Report <output-dir> <machine description> <jmh.json>...}; the JSON files of
 * several JMH runs (codec and transport) are read together.
 */
public final class Report {
  private final Results results;
  private final String machine;
  private final StringBuilder md = new StringBuilder();

  private Report(Results results, String machine) {
    this.results = results;
    this.machine = machine;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: Report <output-dir> <machine description> <jmh.json>...");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    String machine = args[1].isBlank() ? describeMachine() : args[1];
    List<Path> files = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      files.add(Path.of(args[i]));
    }
    new Report(Results.read(files), machine).write(out);
    System.out.println("wrote " + out.resolve("summary.md") + " and " + out.resolve("summary.png"));
  }

  static String describeMachine() {
    return String.format(
        "%d cores, %s %s, Java %s",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        System.getProperty("java.version"));
  }

  void write(Path out) throws IOException {
    md.append("# Tether benchmark summary\n\n")
        .append("Machine: ")
        .append(machine)
        .append(".  \n")
        .append("Run: ")
        .append(results.runSettings())
        .append(".\n\n")
        .append("Every ratio compares figures taken in this one run. On a shared machine the")
        .append(" absolute numbers move from run to run; the ratios move less. `±` is JMH's 99.9%")
        .append(" error.\n\n");
    throughput();
    latency();
    codecs();
    allocation();
    Files.writeString(out.resolve("summary.md"), md.toString());
    List<Chart<?, ?>> charts = new ArrayList<>();
    charts.add(throughputChart());
    charts.add(latencyChart());
    BitmapEncoder.saveBitmap(
        charts, 1, 2, out.resolve("summary").toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private void throughput() {
    List<Result> tether = results.of("TetherThroughput.oneWay");
    if (tether.isEmpty()) {
      return;
    }
    md.append("## One-way throughput over loopback TCP\n\n")
        .append("Messages per second, pipelined; MB/s is messages/s × body size. *raw* is plain")
        .append(" socket channels moving pre-encoded frames (the physical limit); Netty uses the")
        .append(" same codec.\n\n")
        .append("| codec | conns | body | Tether msg/s | Tether MB/s | raw msg/s | Netty msg/s |")
        .append(" Tether / raw | Tether / Netty |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      String conns = t.param("connections");
      String size = t.param("size");
      Optional<Result> raw =
          results.find(
              "RawThroughput.oneWay",
              Results.with("connections", conns).and(Results.with("size", size)));
      Optional<Result> netty =
          results.find(
              "NettyThroughput.oneWay",
              Results.with("codec", t.param("codec"))
                  .and(Results.with("connections", conns))
                  .and(Results.with("size", size)));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %.1f | %s | %s | %s | %s |%n",
              t.param("codec"),
              conns,
              size,
              withError(t),
              t.score() * Integer.parseInt(size) / 1e6,
              raw.map(r -> count(r.score())).orElse("–"),
              netty.map(r -> count(r.score())).orElse("–"),
              raw.map(r -> ratio(t.score(), r.score())).orElse("–"),
              netty.map(r -> ratio(t.score(), r.score())).orElse("–")));
    }
    md.append('\n');
  }

  private void latency() {
    List<Result> tether = results.of("TetherLatency.roundTrip");
    if (tether.isEmpty()) {
      return;
    }
    Optional<Result> raw = results.find("RawLatency.roundTrip", r -> true);
    md.append("## Request/response round trip over loopback TCP\n\n")
        .append("Microseconds, one request at a time, 64-byte body. *handlers*: `pool` is the")
        .append(" default (handlers and response futures on Tether's handler pool), `loop` runs")
        .append(" them on the event loop (`handlerExecutor(Runnable::run)`), as Netty does.")
        .append(
            raw.map(
                    r ->
                        String.format(
                            Locale.ROOT,
                            " Raw limit (blocking sockets, echo thread): p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f.",
                            r.percentile("50.0"),
                            r.percentile("90.0"),
                            r.percentile("99.0"),
                            r.percentile("99.9")))
                .orElse(""))
        .append("\n\n| codec | handlers | p50 | p90 | p99 | p99.9 | Netty p50 | Netty p99 |")
        .append(" p50 Tether / raw | p50 Tether / Netty |\n")
        .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      Optional<Result> netty =
          results.find("NettyLatency.roundTrip", Results.with("codec", t.param("codec")));
      double p50 = t.percentile("50.0");
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s |%n",
              t.param("codec"),
              t.param("handlers"),
              p50,
              t.percentile("90.0"),
              t.percentile("99.0"),
              t.percentile("99.9"),
              netty.map(n -> String.format(Locale.ROOT, "%.1f", n.percentile("50.0"))).orElse("–"),
              netty.map(n -> String.format(Locale.ROOT, "%.1f", n.percentile("99.0"))).orElse("–"),
              raw.map(r -> ratio(p50, r.percentile("50.0"))).orElse("–"),
              netty.map(n -> ratio(p50, n.percentile("50.0"))).orElse("–")));
    }
    md.append('\n');
  }

  private void codecs() {
    List<Result> tether = new ArrayList<>();
    for (String op : List.of("encode", "decode", "roundTrip")) {
      tether.addAll(results.of("CodecBenchmark." + op));
    }
    if (tether.isEmpty()) {
      return;
    }
    md.append("## Codecs\n\n")
        .append("Nanoseconds per operation. *library* is the same library called directly, as a")
        .append(" user would without Tether (Jackson `writeValueAsBytes`/`readValue`, Kryo")
        .append(" `writeObject`/`readObject`, Fory `serialize`/`deserialize`); the overhead column")
        .append(" is Tether / library. Encoded size is Tether's payload, without framing.\n\n")
        .append("| codec | message | op | Tether ns | library ns | Tether / library |")
        .append(" encoded bytes |\n")
        .append("|---|---|---|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      String op = t.benchmark().substring(t.benchmark().indexOf('.') + 1);
      Optional<Result> library =
          results.find(
              "LibraryBenchmark." + op,
              Results.with("codec", t.param("codec"))
                  .and(Results.with("message", t.param("message"))));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s |%n",
              t.param("codec"),
              t.param("message"),
              op,
              withError(t),
              library.map(l -> String.format(Locale.ROOT, "%.0f", l.score())).orElse("–"),
              library.map(l -> ratio(t.score(), l.score())).orElse("–"),
              encodedSize(t.param("codec"), t.param("message"))));
    }
    md.append('\n');
  }

  private void allocation() {
    List<Result> measured =
        results.of("TetherThroughput.oneWay").stream()
            .filter(r -> !Double.isNaN(r.allocBytesPerOp()))
            .toList();
    if (measured.isEmpty()) {
      return;
    }
    md.append("## Allocation on the steady one-way path\n\n")
        .append("`gc.alloc.rate.norm` from `-prof gc`: bytes allocated per message, sender and")
        .append(" receiver together (both ends run in the benchmark JVM), codec included.\n\n")
        .append("| codec | conns | body | bytes / message |\n|---|---:|---:|---:|\n");
    for (Result r : measured) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %.1f |%n",
              r.param("codec"),
              r.param("connections"),
              r.param("size"),
              r.allocBytesPerOp()));
    }
    md.append('\n');
  }

  private CategoryChart throughputChart() {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(500)
            .title("One-way throughput, 64 B body, 1 connection")
            .xAxisTitle("codec")
            .yAxisTitle("messages / s")
            .build();
    Set<String> codecs = new LinkedHashSet<>();
    for (Result r : results.of("TetherThroughput.oneWay")) {
      if (r.param("size").equals("64") && r.param("connections").equals("1")) {
        codecs.add(r.param("codec"));
      }
    }
    List<String> x = new ArrayList<>(codecs);
    if (x.isEmpty()) {
      x.add("none");
    }
    chart.addSeries("Tether", x, series("TetherThroughput.oneWay", x, "64", "1"));
    chart.addSeries("Netty", x, series("NettyThroughput.oneWay", x, "64", "1"));
    double raw =
        results
            .find(
                "RawThroughput.oneWay",
                Results.with("size", "64").and(Results.with("connections", "1")))
            .map(Result::score)
            .orElse(0.0);
    chart.addSeries("raw limit", x, x.stream().map(c -> raw).toList());
    return chart;
  }

  private List<Double> series(String benchmark, List<String> codecs, String size, String conns) {
    List<Double> values = new ArrayList<>();
    for (String codec : codecs) {
      values.add(
          results
              .find(
                  benchmark,
                  Results.with("codec", codec)
                      .and(Results.with("size", size))
                      .and(Results.with("connections", conns)))
              .map(Result::score)
              .orElse(0.0));
    }
    return values;
  }

  private CategoryChart latencyChart() {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(800)
            .height(500)
            .title("Round trip p50 (lower is better)")
            .xAxisTitle("codec")
            .yAxisTitle("microseconds")
            .build();
    Set<String> codecs = new LinkedHashSet<>();
    for (Result r : results.of("TetherLatency.roundTrip")) {
      codecs.add(r.param("codec"));
    }
    List<String> x = new ArrayList<>(codecs);
    if (x.isEmpty()) {
      x.add("none");
    }
    for (String handlers : List.of("pool", "loop")) {
      List<Double> values = new ArrayList<>();
      for (String codec : x) {
        values.add(
            results
                .find(
                    "TetherLatency.roundTrip",
                    Results.with("codec", codec).and(Results.with("handlers", handlers)))
                .map(r -> r.percentile("50.0"))
                .orElse(0.0));
      }
      chart.addSeries("Tether (" + handlers + ")", x, values);
    }
    List<Double> netty = new ArrayList<>();
    for (String codec : x) {
      netty.add(
          results
              .find("NettyLatency.roundTrip", Results.with("codec", codec))
              .map(r -> r.percentile("50.0"))
              .orElse(0.0));
    }
    chart.addSeries("Netty", x, netty);
    double raw =
        results.find("RawLatency.roundTrip", r -> true).map(r -> r.percentile("50.0")).orElse(0.0);
    chart.addSeries("raw limit", x, x.stream().map(c -> raw).toList());
    return chart;
  }

  private static String encodedSize(String codec, String message) {
    try {
      EncodeBuffer buffer = new EncodeBuffer(1024);
      Codecs.create(codec, BenchMessages.TYPES).encode(BenchMessages.sample(message), buffer);
      return Integer.toString(buffer.position());
    } catch (RuntimeException e) {
      return "–";
    }
  }

  private static String withError(Result r) {
    String score = count(r.score());
    return Double.isNaN(r.error()) ? score : score + " ± " + count(r.error());
  }

  private static String count(double value) {
    if (value >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", value / 1e6);
    }
    if (value >= 1e4) {
      return String.format(Locale.ROOT, "%.0fk", value / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", value);
  }

  private static String ratio(double a, double b) {
    return b == 0 || Double.isNaN(a) || Double.isNaN(b)
        ? "–"
        : String.format(Locale.ROOT, "%.2f", a / b);
  }
}
