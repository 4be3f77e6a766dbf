package dev.tether.bench.twojvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.bench.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * Keeps the two-JVM benchmarks from rotting; correctness only, no number is judged. Every workload
 * of every contender runs briefly with its server in this JVM (fast: no JVM to start) and must pass
 * the harness's checks; then the harness runs one point per contender for real, a server JVM and a
 * load-generator JVM each, and the report must render it.
 */
class TwoJvmSmokeTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1} {2} ×{3}")
  @CsvSource({
    "tether,      round-trip, json,  1",
    "tether-loop, round-trip, bytes, 1",
    "netty,       round-trip, json,  1",
    "raw,         round-trip, none,  1",
    "tether,      plain-round-trip, json,  1",
    "tether,      plain-round-trip, bytes, 1",
    "netty,       plain-round-trip, json,  1",
    "raw,         plain-round-trip, none,  1",
    "tether,      plain-echo,       json,  2",
    "tether,      plain-echo,       bytes, 2",
    "netty,       plain-echo,       json,  2",
    "raw,         plain-echo,       none,  2",
    "tether,      request,    json,  1",
    "tether-loop, request,    bytes, 1",
    "tether-pool, request,    json,  1",
    "tether,      echo,       json,  2",
    "tether-loop, echo,       bytes, 2",
    "tether-pool, echo,       bytes, 2",
    "netty,       echo,       json,  2",
    "raw,         echo,       none,  2",
    "tether,      one-way,    bytes, 2",
    "tether-loop, one-way,    json,  2",
    "netty,       one-way,    bytes, 2",
    "raw,         one-way,    none,  2",
  })
  void everyWorkloadPassesItsChecks(
      String contender, String workload, String codec, int connections) throws Exception {
    Map<String, Object> client =
        LoadGenerator.run(
            new Options(
                new String[] {
                  "--in-process",
                  "--contender",
                  contender,
                  "--workload",
                  workload,
                  "--codec",
                  codec,
                  "--connections",
                  Integer.toString(connections),
                  "--window",
                  "8",
                  "--warmup-ms",
                  "50",
                  "--max-warmup-ms",
                  "50",
                  "--measure-ms",
                  "100"
                }));
    Map<String, Object> server = TwoJvmRun.asMap(client.remove("server"));

    assertThat(Verdict.check(Workload.parse(workload), connections, client, server)).isNull();
    assertThat((Number) server.get("received")).isEqualTo(client.get("sent"));
  }

  @Test
  void theHarnessRunsEveryContenderInTwoJvmsAndTheReportShowsIt() throws Exception {
    Path json = dir.resolve("twojvm.json");
    int failures =
        briefRun(
            json,
            "--workloads",
            "echo",
            "--echo-codecs",
            "bytes", // no Jackson to start: two JVMs per contender start faster
            "--connections",
            "2");

    JsonNode root = Json.mapper().readTree(json.toFile());
    assertThat(failures).isZero();
    assertThat(checkedContenders(root))
        .containsExactlyInAnyOrder("TETHER", "TETHER_POOL", "TETHER_LOOP", "NETTY", "RAW");
    // what a system call costs here, which moves every figure with small batches, is on record
    JsonNode calls = root.path("settings").path("systemCalls");
    for (String call : List.of("selectNowNanos", "emptyReadNanos", "oneByteWriteNanos")) {
      assertThat(calls.path(call).asLong()).as(call).isPositive();
    }

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", json.toString()});
    String summary = Files.readString(out.resolve("summary.md"));
    assertThat(summary)
        .contains("## Two JVMs")
        .contains("**1 round**")
        .contains("### Two JVMs: pipelined echo throughput")
        .contains("| bytes | 2 | Tether |")
        .contains("| bytes | 2 | Tether, handlers on loop |")
        .contains("| bytes | 2 | Netty |")
        .contains("| – | 2 | raw |")
        .contains("A system call took, measured from Java before the run: ")
        .doesNotContain("failed measurements");
    assertThat(out.resolve("summary.png")).isNotEmptyFile();
  }

  @Test
  void thePlainClientMeasuresEachServerInItsOwnJvmAndTheReportComparesTheServers()
      throws Exception {
    Path json = dir.resolve("twojvm.json");
    int failures =
        briefRun(
            json,
            "--workloads",
            "plain-round-trip,plain-echo",
            "--plain-codecs",
            "bytes",
            "--connections",
            "2");

    assertThat(failures).isZero();
    JsonNode root = Json.mapper().readTree(json.toFile());
    // the servers in their default configuration; the other Tether ones need Tether's client
    assertThat(checkedContenders(root)).containsExactlyInAnyOrder("TETHER", "NETTY", "RAW");
    assertThat(root.path("samples")).hasSize(6);

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", json.toString()});
    assertThat(Files.readString(out.resolve("summary.md")))
        .contains("### Two JVMs: round trip from one plain client, `bytes`")
        .contains("| Tether server, plain client | ")
        .contains("| Netty server, plain client | ")
        .contains("| raw server, plain client | ")
        .contains("### Two JVMs: pipelined echo from one plain client")
        .contains("| bytes | 2 | Tether |")
        .contains("| bytes | 2 | Netty |")
        .contains("| – | 2 | raw |")
        .doesNotContain("failed measurements");
  }

  @Test
  void threadStatisticsCoverEveryServerThreadOfTheMeasurementAndTheReportShowsCpuPerMessage()
      throws Exception {
    Path json = dir.resolve("twojvm.json");
    int failures =
        TwoJvmRun.run(
            "--out",
            json.toString(),
            "--rounds",
            "1",
            "--warmup-ms",
            "100",
            "--max-warmup-ms",
            "100",
            "--measure-ms",
            "600",
            "--workloads",
            "one-way",
            "--one-way-codecs",
            "bytes",
            "--connections",
            "1",
            "--contenders",
            "tether,raw",
            "--thread-stats");

    assertThat(failures).isZero();
    Map<String, Set<String>> serverThreads = new HashMap<>();
    for (JsonNode sample : Json.mapper().readTree(json.toFile()).path("samples")) {
      Set<String> names = new HashSet<>();
      for (JsonNode t : sample.path("server").path("threadStats").path("threads")) {
        names.add(t.path("name").asString());
      }
      serverThreads.put(sample.path("contender").asString(), names);
    }
    // raw's reader ends as the load generator disconnects, just after the measurement: the
    // statistics are taken inside the measurement time, where it lived
    assertThat(serverThreads.get("RAW")).contains("raw-server-0");
    assertThat(serverThreads.get("TETHER")).anyMatch(name -> name.startsWith("tether-loop-"));

    Path out = dir.resolve("report");
    Report.main(new String[] {out.toString(), "test machine", json.toString()});
    assertThat(Files.readString(out.resolve("summary.md")))
        .contains("### Two JVMs: CPU per message, by thread")
        .contains("| one-way | bytes | 1 | Tether | tether-loop ")
        .contains("| one-way | – | 1 | raw | raw-server ");
  }

  /** Runs the harness for real, one round of very brief measurements; returns its failures. */
  private static int briefRun(Path json, String... options) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--out", json.toString(),
                "--rounds", "1",
                "--warmup-ms", "100",
                "--max-warmup-ms", "100",
                "--measure-ms", "200"));
    args.addAll(List.of(options));
    return TwoJvmRun.run(args.toArray(String[]::new));
  }

  /**
   * Asserts that every sample counts (no failure, the server received all that was sent) and
   * returns the contenders measured.
   */
  private static Set<String> checkedContenders(JsonNode root) {
    Set<String> measured = new HashSet<>();
    for (JsonNode sample : root.path("samples")) {
      assertThat(sample.path("failure").isNull())
          .as("%s: %s", sample.path("contender"), sample.path("failure"))
          .isTrue();
      assertThat(sample.path("server").path("received").asLong())
          .isEqualTo(sample.path("client").path("sent").asLong())
          .isPositive();
      measured.add(sample.path("contender").asString());
    }
    return measured;
  }
}
