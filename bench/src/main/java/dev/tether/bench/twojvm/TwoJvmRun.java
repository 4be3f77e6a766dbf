package dev.tether.bench.twojvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The two-JVM harness: measures every point for every contender in rounds, each measurement a fresh
 * server JVM and a fresh load-generator JVM, and writes the samples as JSON for the report.
 *
 * <p>Within a round, the contenders of a point are measured back to back (seconds apart), so the
 * ratios between them are computed per round from neighbouring measurements; the order rotates from
 * round to round, so that none is always first after a JVM start or always last. A sample whose
 * checks fail (out of sequence, lost, duplicated, or a crash) is recorded as a failure with its
 * reason, and the run goes on.
 *
 * <p>Every measurement warms up until its figure stops improving ({@link Warmup}), between {@code
 * --warmup-ms} and {@code --max-warmup-ms}, then measures for {@code --measure-ms}; the warm-up it
 * took, and whether it settled before the maximum, go into the sample.
 *
 * <p>Usage: {@code TwoJvmRun --out twojvm.json [--quick] [--rounds 4] [--warmup-ms 3000]
 * [--max-warmup-ms 20000] [--measure-ms 2000] [--window 64] [--connections 1,4] [--latency-codecs
 * json] [--echo-codecs json,fury] [--one-way-codecs bytes,json,fury] [--plain-codecs json]
 * [--workloads round-trip,request,echo,one-way,plain-round-trip,plain-echo] [--contenders
 * tether,tether-pool,tether-loop,netty,raw] [--jvm-args "-Xms1g -Xmx1g -XX:+AlwaysPreTouch"]
 * [--more-jvm-args "-agentpath:..."] [--jvms 2] [--thread-stats] [--strict]}. {@code --jvm-args}
 * replaces the children's JVM options; {@code --more-jvm-args} adds to them. {@code --jvms 1} runs
 * each server inside its load generator's JVM instead: the one-JVM control. {@code --thread-stats}
 * records per-thread CPU time and context switches over the measurement time ({@link ThreadStats}).
 * {@code --strict} exits with status 1 if a measurement failed.
 */
public final class TwoJvmRun {
  /**
   * Children get the same heap, so that no contender is measured with more or less of it, touched
   * at start: otherwise the first pass of the young generation through not yet touched pages costs
   * a page fault per 4 KiB, and a contender that allocates (a received message is an object) runs
   * slow until its young generation has filled once. On the 2-core VM the Tether one-way streams
   * ran at ~2.8M messages a second for their first 3.5-5 s (the server's loop at 100% of a core, a
   * third of it in the kernel's page-fault path), then at 17M; the warm-up could settle in that
   * phase. Raw, which allocates nothing, did not show it.
   */
  static final String DEFAULT_JVM_ARGS =
      "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -Dorg.slf4j.simpleLogger.defaultLogLevel=warn";

  private final Path out;
  private final Path logs;
  private final int rounds;
  private final int warmupMillis;
  private final int maxWarmupMillis;
  private final int measureMillis;
  private final int window;
  private final int jvms;
  private final boolean threadStats;
  private final List<String> jvmArgs;
  private final List<Point> points;
  private final List<Map<String, Object>> samples = new ArrayList<>();

  /** What a system call cost on this machine before the run ({@link SystemCallCost}). */
  private Map<String, Object> systemCalls = Map.of();

  private TwoJvmRun(Options options) {
    boolean quick = options.flag("quick");
    this.out = Path.of(options.require("out")).toAbsolutePath();
    this.logs = out.resolveSibling("twojvm-logs");
    this.rounds = options.getInt("rounds", quick ? 2 : 4);
    this.warmupMillis = options.getInt("warmup-ms", quick ? 2000 : 3000);
    this.maxWarmupMillis = options.getInt("max-warmup-ms", quick ? 8000 : 20_000);
    this.measureMillis = options.getInt("measure-ms", quick ? 1000 : 2000);
    this.window = options.getInt("window", 64);
    this.jvms = options.getInt("jvms", 2);
    this.threadStats = options.flag("thread-stats");
    // --more-jvm-args adds to the defaults (a profiler's agent, say) rather than replacing them:
    // replaced, the heap is no longer touched at start and page faults fill the profile
    this.jvmArgs =
        Stream.concat(
                split(options.get("jvm-args", DEFAULT_JVM_ARGS), " ").stream(),
                split(options.get("more-jvm-args", ""), " ").stream())
            .toList();
    List<Contender> contenders =
        split(options.get("contenders", "tether,tether-pool,tether-loop,netty,raw"), ",").stream()
            .map(Contender::parse)
            .toList();
    List<Workload> workloads =
        split(
                options.get(
                    "workloads", "round-trip,request,echo,one-way,plain-round-trip,plain-echo"),
                ",")
            .stream()
            .map(Workload::parse)
            .toList();
    List<Integer> connections =
        split(options.get("connections", quick ? "1" : "1,4"), ",").stream()
            .map(Integer::parseInt)
            .toList();
    this.points =
        Point.plan(
            workloads,
            contenders,
            split(options.get("latency-codecs", "json"), ","),
            split(options.get("echo-codecs", "json,fury"), ","),
            split(options.get("one-way-codecs", "bytes,json,fury"), ","),
            split(options.get("plain-codecs", "json"), ","),
            connections);
  }

  public static void main(String[] args) throws Exception {
    Options options = new Options(args);
    int failures = new TwoJvmRun(options).run();
    System.exit(failures == 0 || !options.flag("strict") ? 0 : 1);
  }

  /**
   * Runs the harness with {@code args} as on the command line (see the class Javadoc), writes the
   * samples, and returns how many measurements failed.
   */
  public static int run(String... args) throws IOException, InterruptedException {
    return new TwoJvmRun(new Options(args)).run();
  }

  private int run() throws IOException, InterruptedException {
    Files.createDirectories(logs);
    systemCalls = SystemCallCost.measure();
    System.out.println("system calls here, ns: " + systemCalls);
    int perRound = points.stream().mapToInt(p -> p.contenders().size()).sum();
    int total = perRound * rounds;
    System.out.printf(
        Locale.ROOT,
        "two-JVM run: %d rounds × %d measurements (%d points), each a warm-up until the figure"
            + " settles (%d to %d ms) and %d ms measured%n",
        rounds,
        perRound,
        points.size(),
        warmupMillis,
        maxWarmupMillis,
        measureMillis);
    int failures = 0;
    int done = 0;
    for (int round = 0; round < rounds; round++) {
      for (Point point : points) {
        for (Contender contender : point.order(round)) {
          Map<String, Object> sample = measure(round, done, point, contender);
          samples.add(sample);
          write();
          done++;
          boolean failed = sample.get("failure") != null;
          failures += failed ? 1 : 0;
          System.out.printf(
              Locale.ROOT,
              "[%d/%d] round %d, %s, %s: %s%n",
              done,
              total,
              round + 1,
              point.describe(),
              contender.option(),
              failed ? "FAILED: " + sample.get("failure") : headline(point.workload(), sample));
        }
      }
    }
    try (var stale = Files.list(logs)) {
      if (stale.findAny().isEmpty()) {
        Files.delete(logs);
      }
    }
    System.out.println(
        "two-JVM samples -> " + out + (failures > 0 ? " (" + failures + " FAILED)" : ""));
    return failures;
  }

  private Map<String, Object> measure(int round, int order, Point point, Contender contender)
      throws InterruptedException {
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("round", round);
    sample.put("order", order);
    sample.put("contender", contender.name());
    sample.put("workload", point.workload().name());
    sample.put("codec", point.codecOf(contender));
    sample.put("connections", point.connections());
    long start = System.nanoTime();
    String stem = String.format(Locale.ROOT, "%04d-%s", order, contender.option());
    Child server = null;
    Child client = null;
    String failure;
    try {
      List<String> load =
          new ArrayList<>(
              List.of(
                  "--contender", contender.option(),
                  "--workload", point.workload().option(),
                  "--codec", point.codecOf(contender),
                  "--connections", Integer.toString(point.connections()),
                  "--window", Integer.toString(window),
                  "--warmup-ms", Integer.toString(warmupMillis),
                  "--max-warmup-ms", Integer.toString(maxWarmupMillis),
                  "--measure-ms", Integer.toString(measureMillis)));
      if (threadStats) {
        load.add("--thread-stats");
      }
      Map<String, Object> serverResult;
      Map<String, Object> clientResult;
      long clientMillis = maxWarmupMillis + measureMillis + 120_000L;
      if (jvms == 1) {
        load.add("--in-process");
        client = Child.start("load generator", java(LoadGenerator.class, load), log(stem, "both"));
        clientResult = Json.read(client.await("RESULT ", clientMillis));
        serverResult = asMap(clientResult.remove("server"));
      } else {
        server =
            Child.start(
                "server",
                java(
                    BenchServer.class,
                    List.of(
                        "--contender", contender.option(),
                        "--workload", point.workload().option(),
                        "--codec", point.codecOf(contender))),
                log(stem, "server"));
        // both JVMs start at once, which saves most of a JVM start per measurement on 2 cores;
        // the load generator waits for the port before it connects
        load.addAll(List.of("--port", "stdin", "--server-pid", Long.toString(server.pid())));
        client = Child.start("load generator", java(LoadGenerator.class, load), log(stem, "load"));
        String port = server.await("LISTENING ", 60_000).trim();
        sample.put("serverReadySeconds", (System.nanoTime() - start) / 1e9);
        client.send("PORT " + port);
        clientResult = Json.read(client.await("RESULT ", clientMillis));
        sample.put("clientDoneSeconds", (System.nanoTime() - start) / 1e9);
        Object sent = clientResult.get("sent");
        List<?> window = clientResult.get("windowNanos") instanceof List<?> w ? w : List.of(0, 0);
        server.send(
            "EXPECT " + (sent == null ? 0 : sent) + " " + window.get(0) + " " + window.get(1));
        serverResult = Json.read(server.await("RESULT ", 40_000));
        // what the server's threads did, read by the load generator
        Object serverThreads = clientResult.remove("serverThreadStats");
        if (serverThreads != null) {
          serverResult.put("threadStats", serverThreads);
        }
      }
      sample.put("client", clientResult);
      sample.put("server", serverResult);
      failure = Verdict.check(point.workload(), point.connections(), clientResult, serverResult);
    } catch (IOException | RuntimeException e) {
      failure = String.valueOf(e.getMessage());
    }
    sample.put("failure", failure);
    if (client != null) {
      client.close(failure != null);
    }
    if (server != null) {
      sample.put("serverResultSeconds", (System.nanoTime() - start) / 1e9);
      server.close(failure != null);
    }
    sample.put("seconds", Duration.ofNanos(System.nanoTime() - start).toMillis() / 1e3);
    return sample;
  }

  private Path log(String stem, String end) {
    return logs.resolve(stem + "-" + end + ".log");
  }

  private List<String> java(Class<?> main, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(args);
    return command;
  }

  private void write() throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("kind", "two-jvm");
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("rounds", rounds);
    settings.put("forksPerRound", 1);
    settings.put("jvms", jvms);
    settings.put("warmupMillis", warmupMillis);
    settings.put("maxWarmupMillis", maxWarmupMillis);
    settings.put("measureMillis", measureMillis);
    settings.put("window", window);
    settings.put("payloadBytes", Sequenced.PAYLOAD_BYTES);
    settings.put("jvmArgs", String.join(" ", jvmArgs));
    settings.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    settings.put("systemCalls", systemCalls);
    root.put("settings", settings);
    root.put("samples", samples);
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    Json.mapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
    Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static String headline(Workload workload, Map<String, Object> sample) {
    Map<String, Object> client = asMap(sample.get("client"));
    if (workload.isLatency()) {
      Map<String, Object> latency = asMap(client.get("latency"));
      return String.format(
          Locale.ROOT, "p50 %.1f µs, p99 %.1f µs", number(latency, "p50"), number(latency, "p99"));
    }
    Map<String, Object> side = workload == Workload.ONE_WAY ? asMap(sample.get("server")) : client;
    return String.format(Locale.ROOT, "%.0f msg/s", number(side, "perSecond"));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
  }

  static double number(Map<String, Object> map, String key) {
    return map.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static List<String> split(String list, String separator) {
    return Arrays.stream(list.trim().split(separator)).filter(s -> !s.isBlank()).toList();
  }
}
