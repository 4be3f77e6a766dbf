package dev.tether.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes {@code summary.md} and {@code summary.png}: the two-JVM figures (server and load generator
 * in separate processes, as users deploy) and the one-JVM JMH figures, each Tether figure next to
 * the raw limit and Netty from the same run, as ratios.
 *
 * <p>Usage: {@code Report <output-dir> <machine description> <result.json>...}; each file is either
 * JMH's JSON (codec or transport benchmarks) or the two-JVM harness's, told apart by their content.
 * A second two-JVM file is an earlier run: the summary then compares every two-JVM ratio with that
 * run's.
 */
public final class Report {
  private final Results oneJvm;
  private final TwoJvmResults twoJvm;
  private final TwoJvmResults earlier;
  private final String earlierName;
  private final String machine;
  private final StringBuilder md = new StringBuilder();

  private Report(
      Results oneJvm,
      TwoJvmResults twoJvm,
      TwoJvmResults earlier,
      String earlierName,
      String machine) {
    this.oneJvm = oneJvm;
    this.twoJvm = twoJvm;
    this.earlier = earlier;
    this.earlierName = earlierName;
    this.machine = machine;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: Report <output-dir> <machine description> <result.json>...");
      System.exit(2);
    }
    System.setProperty("java.awt.headless", "true");
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    String machine = args[1].isBlank() ? describeMachine() : args[1];
    ObjectMapper mapper = JsonMapper.builder().build();
    List<JsonNode> jmh = new ArrayList<>();
    TwoJvmResults twoJvm = null;
    TwoJvmResults earlier = null;
    String earlierName = null;
    for (int i = 2; i < args.length; i++) {
      Path file = Path.of(args[i]).toAbsolutePath();
      JsonNode root = mapper.readTree(file.toFile());
      if (!TwoJvmResults.accepts(root)) {
        jmh.add(root);
      } else if (twoJvm == null) {
        twoJvm = TwoJvmResults.read(root);
      } else if (earlier == null) {
        earlier = TwoJvmResults.read(root);
        earlierName = "run " + file.getParent().getFileName();
      } else {
        System.err.println("Report takes two two-JVM files at most, this run's and an earlier one");
        System.exit(2);
      }
    }
    new Report(
            Results.of(jmh),
            twoJvm == null ? TwoJvmResults.empty() : twoJvm,
            earlier,
            earlierName,
            machine)
        .write(out);
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
        .append(".\n\n")
        .append("Two sets of figures: **two JVMs** (a server process and a load-generator process,")
        .append(" as users deploy Tether) and **one JVM** (JMH, both ends in the benchmark's")
        .append(" process, sharing its cores, JIT and heap). They differ, and the two-JVM figures")
        .append(" are the ones to quote; the README's Benchmarks section says why. *raw* is plain")
        .append(
            " blocking socket channels moving pre-encoded frames, the limit; Netty 4.2 uses the same")
        .append(" codec as Tether.\n\n");
    if (!twoJvm.isEmpty()) {
      new TwoJvmSection(twoJvm, earlier, earlierName, md).write();
    }
    new OneJvmSection(oneJvm, md).write();
    Files.writeString(out.resolve("summary.md"), md.toString());
    Charts panels = new Charts(oneJvm, twoJvm);
    List<Chart<?, ?>> charts = new ArrayList<>(panels.panels());
    BitmapEncoder.saveBitmap(
        charts,
        charts.size() / panels.columns(),
        panels.columns(),
        out.resolve("summary").toString(),
        BitmapEncoder.BitmapFormat.PNG);
  }
}
