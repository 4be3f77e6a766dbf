package dev.tether.bench.tls;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the TLS benchmarks once, very briefly and in this JVM, so that they do not rot: every
 * transport, with and without TLS, moves messages. Correctness only: no number is judged.
 */
class TlsBenchmarkSmokeTest {
  @TempDir Path dir;

  @Test
  void everyTlsBenchmarkRunsOnEveryTransport() throws Exception {
    System.setProperty("jmh.ignoreLock", "true"); // see BenchmarkSmokeTest
    Collection<RunResult> results =
        new Runner(
                new OptionsBuilder()
                    .include("dev.tether.bench.tls.*")
                    .forks(0)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(200))
                    .shouldFailOnError(true)
                    .param("size", "64")
                    .resultFormat(ResultFormatType.JSON)
                    .result(dir.resolve("tls.json").toString())
                    .build())
            .run();

    Set<String> runs = new TreeSet<>();
    for (RunResult r : results) {
      String[] parts = r.getParams().getBenchmark().split("\\.");
      runs.add(parts[parts.length - 2] + " " + r.getParams().getParam("transport"));
      assertThat(r.getPrimaryResult().getScore()).as(r.getParams().toString()).isPositive();
    }
    assertThat(runs)
        .containsExactly(
            "TlsLatency netty",
            "TlsLatency netty-tls",
            "TlsLatency tether",
            "TlsLatency tether-tls",
            "TlsThroughput netty",
            "TlsThroughput netty-tls",
            "TlsThroughput tether",
            "TlsThroughput tether-tls");

    Path out = dir.resolve("report");
    dev.tether.bench.report.Report.main(
        new String[] {out.toString(), "test machine", dir.resolve("tls.json").toString()});
    assertThat(Files.readString(out.resolve("summary.md")))
        .contains("### One JVM: TLS")
        .contains("| 64 |")
        .contains("tether-tls ");
  }
}
