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
 * With thread statistics, the summary says how many nanoseconds of CPU each kind of thread spent
 * per message: threads of a kind added up, the JIT's left out, the median over rounds.
 */
class CpuPerMessageTest {
  @TempDir Path dir;

  @Test
  void threadsAreGroupedByKind() {
    assertThat(TwoJvmResults.threadGroup("tether-loop-3")).isEqualTo("tether-loop");
    assertThat(TwoJvmResults.threadGroup("tether-handler-")).isEqualTo("tether-handler");
    assertThat(TwoJvmResults.threadGroup("raw-server-12")).isEqualTo("raw-server");
    assertThat(TwoJvmResults.threadGroup("GC Thread#1")).isEqualTo("GC");
    assertThat(TwoJvmResults.threadGroup("G1 Conc#0")).isEqualTo("GC");
    assertThat(TwoJvmResults.threadGroup("multiThreadIoEv")).isEqualTo("netty-loop");
    assertThat(TwoJvmResults.threadGroup("java")).isEqualTo("main");
    assertThat(TwoJvmResults.threadGroup("C2 CompilerThre")).isNull();
    assertThat(TwoJvmResults.threadGroup("server-meter")).isNull();
  }

  @Test
  void theSummaryGivesEachKindOfThreadsCpuTimePerMessage() throws Exception {
    List<Map<String, Object>> samples = new ArrayList<>();
    // two rounds: the server's two loops spent 300+200 ms, then 600 ms, on 10M messages
    samples.add(sample(0, List.of(thread("tether-loop-1", 300), thread("tether-loop-2", 200))));
    samples.add(sample(1, List.of(thread("tether-loop-1", 600), thread("C2 CompilerThre", 900))));
    Path file = TwoJvmJson.write(dir.resolve("run").resolve("twojvm.json"), samples);

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", file.toString()});

    // 500 ms and 600 ms over 10M messages: 50 and 60 ns, median 55; the JIT's 900 ms left out;
    // the client recorded no statistics
    assertThat(Files.readString(out.resolve("summary.md")))
        .contains("| one-way | bytes | 1 | Tether | tether-loop 55 = 55 | – |");
  }

  private static Map<String, Object> thread(String name, long cpuMillis) {
    return Map.of("name", name, "cpuMillis", cpuMillis, "voluntary", 0, "involuntary", 0);
  }

  private static Map<String, Object> sample(int round, List<Map<String, Object>> threads) {
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("round", round);
    sample.put("contender", "TETHER");
    sample.put("workload", "ONE_WAY");
    sample.put("codec", "bytes");
    sample.put("connections", 1);
    sample.put("client", Map.of("perSecond", 5e6, "warmupMillis", 100, "settled", true));
    sample.put(
        "server",
        Map.of(
            "perSecond",
            5e6,
            "received",
            10_000_000,
            "threadStats",
            Map.of("messages", 10_000_000, "threads", threads)));
    sample.put("failure", null);
    return sample;
  }
}
