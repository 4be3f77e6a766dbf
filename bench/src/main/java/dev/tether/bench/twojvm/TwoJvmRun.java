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

/**
 * The two-JVM harness: measures every point for every contender in rounds, each measurement a fresh
 * server JVM and a fresh load-generator JVM, and writes the samples as JSON for the report.
 *
 * <p>Within a round, the contenders of a point are measured side by side: each pair of JVMs is
 * started and warmed up in turn (the others idle, paused), then the harness measures their slices
 * interleaved, {@code --slices} rounds of one slice per contender, {@code --measure-ms} per
 * contender in all, the order rotating from slice to slice; every contender's figure is the median
 * of its slices (latency: the percentiles of all its slices' round trips). A machine whose speed
 * changes from one minute to the next (a shared VM does) then slows all contenders of a point
 * alike, instead of the one that happened to run in the slow minute, so the ratios between them
 * hold. The order of warming up rotates from round to round too. A sample whose checks fail (out of
 * sequence, lost, duplicated, or a crash) is recorded as a failure with its reason, and the run
 * goes on.
 *
 * <p>Every measurement warms up until its figure stops improving ({@link Warmup}), between {@code
 * --warmup-ms} and {@code --max-warmup-ms}; the warm-up it took, and whether it settled before the
 * maximum, go into the sample.
 *
 * <p>Usage: {@code TwoJvmRun --out twojvm.json [--quick] [--rounds 4] [--warmup-ms 3000]
 * [--max-warmup-ms 20000] [--measure-ms 2000] [--slices 4] [--window 64] [--connections 1,4]
 * [--latency-codecs json] [--echo-codecs json,fury] [--one-way-codecs bytes,json,fury] [--workloads
 * round-trip,request,echo,one-way] [--contenders tether,tether-pool,tether-loop,netty, raw]
 * [--jvm-args "-Xms1g -Xmx1g"] [--jvms 2] [--thread-stats] [--strict]}. {@code --jvms 1} runs each
 * server inside its load generator's JVM instead: the one-JVM control. {@code --thread-stats}
 * records per-thread CPU time and context switches from each contender's first slice to its last
 * ({@link ThreadStats}). {@code --strict} exits with status 1 if a measurement failed.
 */
public final class TwoJvmRun {
  /** Children get the same heap, so that no contender is measured with more or less of it. */
  static final String DEFAULT_JVM_ARGS =
      "-Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn";

  private final Path out;
  private final Path logs;
  private final int rounds;
  private final int warmupMillis;
  private final int maxWarmupMillis;
  private final int measureMillis;
  private final int slices;
  private final int window;
  private final int jvms;
  private final boolean threadStats;
  private final List<String> jvmArgs;
  private final List<Point> points;
  private final List<Map<String, Object>> samples = new ArrayList<>();

  private TwoJvmRun(Options options) {
    boolean quick = options.flag("quick");
    this.out = Path.of(options.require("out")).toAbsolutePath();
    this.logs = out.resolveSibling("twojvm-logs");
    this.rounds = options.getInt("rounds", quick ? 2 : 4);
    this.warmupMillis = options.getInt("warmup-ms", quick ? 2000 : 3000);
    this.maxWarmupMillis = options.getInt("max-warmup-ms", quick ? 8000 : 20_000);
    this.measureMillis = options.getInt("measure-ms", quick ? 1000 : 2000);
    this.slices = Math.max(1, options.getInt("slices", 4));
    this.window = options.getInt("window", 64);
    this.jvms = options.getInt("jvms", 2);
    this.threadStats = options.flag("thread-stats");
    this.jvmArgs = split(options.get("jvm-args", DEFAULT_JVM_ARGS), " ");
    List<Contender> contenders =
        split(options.get("contenders", "tether,tether-pool,tether-loop,netty,raw"), ",").stream()
            .map(Contender::parse)
            .toList();
    List<Workload> workloads =
        split(options.get("workloads", "round-trip,request,echo,one-way"), ",").stream()
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
    int perRound = points.stream().mapToInt(p -> p.contenders().size()).sum();
    int total = perRound * rounds;
    System.out.printf(
        Locale.ROOT,
        "two-JVM run: %d rounds × %d measurements (%d points), each a warm-up until the figure"
            + " settles (%d to %d ms) and %d ms measured in %d slices, interleaved with the"
            + " other contenders' of its point%n",
        rounds,
        perRound,
        points.size(),
        warmupMillis,
        maxWarmupMillis,
        measureMillis,
        slices);
    int failures = 0;
    int done = 0;
    int sliceMillis = Math.max(1, measureMillis / slices);
    for (int round = 0; round < rounds; round++) {
      for (Point point : points) {
        List<Measurement> side = new ArrayList<>();
        for (Contender contender : point.order(round)) {
          Measurement m = new Measurement(round, done++, point, contender);
          m.warmUp();
          side.add(m);
        }
        for (int slice = 0; slice < slices; slice++) {
          List<Measurement> order = new ArrayList<>(side);
          java.util.Collections.rotate(order, -slice);
          for (Measurement m : order) {
            m.slice(sliceMillis);
          }
        }
        for (Measurement m : side) {
          Map<String, Object> sample = m.finish();
          samples.add(sample);
          write();
          boolean failed = sample.get("failure") != null;
          failures += failed ? 1 : 0;
          System.out.printf(
              Locale.ROOT,
              "[%d/%d] round %d, %s, %s: %s%n",
              (int) sample.get("order") + 1,
              total,
              round + 1,
              point.describe(),
              m.contender.option(),
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

  /**
   * One contender's measurement at one point in one round: its server and load-generator JVMs, from
   * their start through the warm-up and the slices to the checked result.
   */
  private final class Measurement {
    private final Point point;
    private final Contender contender;
    private final Map<String, Object> sample = new LinkedHashMap<>();
    private final long start = System.nanoTime();
    private Child server;
    private Child client;
    private String failure;

    Measurement(int round, int order, Point point, Contender contender) {
      this.point = point;
      this.contender = contender;
      sample.put("round", round);
      sample.put("order", order);
      sample.put("contender", contender.name());
      sample.put("workload", point.workload().name());
      sample.put("codec", point.codecOf(contender));
      sample.put("connections", point.connections());
    }

    /** Starts both JVMs and waits until the load generator is warm and paused. */
    void warmUp() throws InterruptedException {
      String stem =
          String.format(Locale.ROOT, "%04d-%s", (int) sample.get("order"), contender.option());
      try {
        List<String> load =
            new ArrayList<>(
                List.of(
                    "--contender",
                    contender.option(),
                    "--workload",
                    point.workload().option(),
                    "--codec",
                    point.codecOf(contender),
                    "--connections",
                    Integer.toString(point.connections()),
                    "--window",
                    Integer.toString(window),
                    "--warmup-ms",
                    Integer.toString(warmupMillis),
                    "--max-warmup-ms",
                    Integer.toString(maxWarmupMillis),
                    "--driven"));
        if (threadStats) {
          load.add("--thread-stats");
        }
        if (jvms == 1) {
          load.add("--in-process");
          client =
              Child.start("load generator", java(LoadGenerator.class, load), log(stem, "both"));
        } else {
          server =
              Child.start(
                  "server",
                  java(
                      BenchServer.class,
                      List.of(
                          "--contender", contender.option(),
                          "--workload", point.workload().option(),
                          "--codec", point.codecOf(contender),
                          "--thread-stats", Boolean.toString(threadStats))),
                  log(stem, "server"));
          // both JVMs start at once, which saves most of a JVM start per measurement on 2 cores;
          // the load generator waits for the port before it connects
          load.addAll(List.of("--port", "stdin", "--server-pid", Long.toString(server.pid())));
          client =
              Child.start("load generator", java(LoadGenerator.class, load), log(stem, "load"));
          String port = server.await("LISTENING ", 60_000).trim();
          sample.put("serverReadySeconds", (System.nanoTime() - start) / 1e9);
          client.send("PORT " + port);
        }
        client.await("WARM", maxWarmupMillis + 120_000L);
        sample.put("warmSeconds", (System.nanoTime() - start) / 1e9);
      } catch (IOException | RuntimeException e) {
        failure = String.valueOf(e.getMessage());
      }
    }

    /** Measures one slice of {@code millis}, unless this measurement has failed. */
    void slice(int millis) throws InterruptedException {
      if (failure != null) {
        return;
      }
      try {
        client.send("SLICE " + millis);
        client.await("SLICE ", millis + 60_000L);
      } catch (IOException | RuntimeException e) {
        failure = String.valueOf(e.getMessage());
      }
    }

    /** Ends the measurement, checks it, stops both JVMs and returns the sample. */
    Map<String, Object> finish() throws InterruptedException {
      if (failure == null) {
        try {
          client.send("END");
          Map<String, Object> clientResult = Json.read(client.await("RESULT ", 120_000));
          sample.put("clientDoneSeconds", (System.nanoTime() - start) / 1e9);
          Map<String, Object> serverResult;
          if (jvms == 1) {
            serverResult = asMap(clientResult.remove("server"));
          } else {
            Object sent = clientResult.get("sent");
            StringBuilder expect = new StringBuilder("EXPECT ").append(sent == null ? 0 : sent);
            if (clientResult.get("slicesNanos") instanceof List<?> times) {
              for (Object t : times) {
                expect.append(' ').append(t);
              }
            }
            server.send(expect.toString());
            serverResult = Json.read(server.await("RESULT ", 40_000));
          }
          sample.put("client", clientResult);
          sample.put("server", serverResult);
          failure =
              Verdict.check(point.workload(), point.connections(), clientResult, serverResult);
        } catch (IOException | RuntimeException e) {
          failure = String.valueOf(e.getMessage());
        }
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
    settings.put("slices", slices);
    settings.put("interleaved", true);
    settings.put("window", window);
    settings.put("payloadBytes", Sequenced.PAYLOAD_BYTES);
    settings.put("jvmArgs", String.join(" ", jvmArgs));
    settings.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
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
