package dev.tether.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Given an earlier run's two-JVM file besides this run's, the summary compares each ratio's median
 * with the earlier one and says which moved by more than 15%: the test of repeatability.
 */
class ReportComparisonTest {
  @TempDir Path dir;

  @Test
  void everyRatioIsComparedWithTheEarlierRunsAndAMoveOverFifteenPercentIsMarked() throws Exception {
    // one-way json x1, two rounds each: Tether ÷ raw moves -5%, Tether ÷ Netty -33%, Netty ÷ raw
    // +43%
    Path earlier = write("20260101T000000Z", 2.0e6, 1.0e6, 10.0e6);
    Path now = write("20260102T000000Z", 2.0e6, 1.5e6, 10.5e6);

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", now.toString(), earlier.toString()});

    String summary = Files.readString(out.resolve("summary.md"));
    assertThat(summary)
        .contains("### Two JVMs: against an earlier run")
        .contains("run 20260101T000000Z (2 rounds)")
        .contains("**1 of 3 ratios agree within ±15%.**")
        .contains("| one-way json ×1 Tether ÷ raw (rate) | 0.20 | 0.19 | -5% |")
        .contains("| one-way json ×1 Tether ÷ Netty (rate) | 2.00 | 1.33 | -33% **outside** |")
        .contains("| one-way json ×1 Netty ÷ raw (rate) | 0.10 | 0.14 | +43% **outside** |");
  }

  @Test
  void withoutAnEarlierRunThereIsNoComparison() throws Exception {
    Path now = write("20260102T000000Z", 2.0e6, 1.5e6, 10.5e6);

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", now.toString()});

    assertThat(Files.readString(out.resolve("summary.md")))
        .contains("### Two JVMs: repeatability")
        .doesNotContain("against an earlier run");
  }

  /** Writes a two-JVM file of two rounds of one-way json ×1 at these rates, in its own folder. */
  private Path write(String run, double tether, double netty, double raw) throws Exception {
    List<Map<String, Object>> samples = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      samples.add(sample(round, "TETHER", "json", tether));
      samples.add(sample(round, "NETTY", "json", netty));
      samples.add(sample(round, "RAW", "none", raw));
    }
    return TwoJvmJson.write(dir.resolve(run).resolve("twojvm.json"), samples);
  }

  private static Map<String, Object> sample(
      int round, String contender, String codec, double rate) {
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("round", round);
    sample.put("contender", contender);
    sample.put("workload", "ONE_WAY");
    sample.put("codec", codec);
    sample.put("connections", 1);
    sample.put("client", Map.of("perSecond", rate, "warmupMillis", 100, "settled", true));
    sample.put("server", Map.of("perSecond", rate, "received", 1000));
    sample.put("failure", null);
    return sample;
  }
}
