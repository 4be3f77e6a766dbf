package dev.tether.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.bench.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark once, very briefly and in this JVM, so that none of them rots; then the
 * report over their real JSON output. Correctness only: no number is judged.
 */
class BenchmarkSmokeTest {
  @TempDir Path dir;

  private static ChainedOptionsBuilder brief(String include, Path json) {
    return new OptionsBuilder()
        .include(include)
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .shouldFailOnError(true)
        .resultFormat(ResultFormatType.JSON)
        .result(json.toString());
  }

  private static Set<String> names(Collection<RunResult> results) {
    Set<String> names = new TreeSet<>();
    for (RunResult r : results) {
      String full = r.getParams().getBenchmark();
      String[] parts = full.split("\\.");
      names.add(parts[parts.length - 2] + "." + parts[parts.length - 1]);
    }
    return names;
  }

  @Test
  void everyBenchmarkRunsAndTheReportIsWritten() throws Exception {
    // JMH takes a machine-wide lock in /tmp; a real benchmark run elsewhere on the machine must not
    // fail this correctness check
    System.setProperty("jmh.ignoreLock", "true");
    Path codecJson = dir.resolve("codec.json");
    Collection<RunResult> codec =
        new Runner(
                brief("dev.tether.bench.codec.*", codecJson)
                    .param("codec", "json", "cbor", "kryo", "fury")
                    .param("message", "small", "large")
                    .build())
            .run();
    Path transportJson = dir.resolve("transport.json");
    Collection<RunResult> transport =
        new Runner(
                brief("dev.tether.bench.(throughput|latency).*", transportJson)
                    .param("codec", "bytes", "json")
                    .param("connections", "1")
                    .param("size", "64")
                    .param("handlers", "default", "loop")
                    .param("session", "plain", "resumable")
                    .build())
            .run();

    assertThat(codec).hasSize(2 * 3 * 4 * 2);
    assertThat(names(codec))
        .containsExactly(
            "CodecBenchmark.decode",
            "CodecBenchmark.encode",
            "CodecBenchmark.roundTrip",
            "LibraryBenchmark.decode",
            "LibraryBenchmark.encode",
            "LibraryBenchmark.roundTrip");
    assertThat(names(transport))
        .containsExactly(
            "NettyLatency.roundTrip",
            "NettyThroughput.oneWay",
            "RawLatency.roundTrip",
            "RawThroughput.oneWay",
            "ResumableThroughput.oneWay",
            "TetherLatency.roundTrip",
            "TetherThroughput.oneWay");
    for (RunResult r : transport) {
      assertThat(r.getPrimaryResult().getScore()).as(r.getParams().getBenchmark()).isPositive();
    }

    Path out = dir.resolve("report");
    Report.main(
        new String[] {
          out.toString(), "test machine", codecJson.toString(), transportJson.toString()
        });

    String summary = Files.readString(out.resolve("summary.md"));
    assertThat(summary)
        .contains("Machine: test machine")
        .contains("## One JVM (JMH)")
        .contains("### One JVM: one-way throughput over loopback TCP")
        .contains("| bytes | 1 | 64 |")
        .contains("### One JVM: what session resumption costs")
        .contains("| json | 64 |")
        .contains("### One JVM: request/response round trip over loopback TCP")
        .contains("### One JVM: codecs")
        .contains("| kryo | small | encode |");
    assertThat(out.resolve("summary.png")).isNotEmptyFile();
  }
}
