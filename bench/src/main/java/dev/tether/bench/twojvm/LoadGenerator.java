package dev.tether.bench.twojvm;

import dev.tether.bench.twojvm.ClientEnd.Flow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The load-generator JVM of a two-JVM measurement: connects one contender's client to its server,
 * runs one workload, warming up until its figure stops improving ({@link Warmup}), then measuring,
 * closes, and prints {@code RESULT <json>}: the latency percentiles or the rate, the measurement
 * time in {@code System.nanoTime()} (for the server's side of it), what it sent and received back,
 * checked, and how the warm-up went.
 *
 * <p>Usage: {@code LoadGenerator --contender tether --workload
 * round-trip|request|echo|one-way|plain-round-trip|plain-echo --codec json --connections 1 --window
 * 64 --warmup-ms 3000 --max-warmup-ms 20000 --measure-ms 3000 --port <port>|stdin [--server-pid
 * <pid>]}; with the server's process id the warm-up also waits for the server's JIT to go quiet.
 * {@code --in-process} instead of {@code --port} starts the server inside this JVM: the one-JVM
 * control for the same code, used to study how sharing a JVM changes the figures. {@code
 * --thread-stats} adds what every thread did during the measurement time ({@link ThreadStats}).
 */
public final class LoadGenerator {
  private LoadGenerator() {}

  public static void main(String[] args) {
    Map<String, Object> result = new LinkedHashMap<>();
    int status = 0;
    try {
      result = run(new Options(args));
    } catch (Throwable t) {
      result.put("error", String.valueOf(t));
      t.printStackTrace();
      status = 1;
    }
    System.out.println("RESULT " + Json.write(result));
    System.out.flush();
    System.exit(status);
  }

  static Map<String, Object> run(Options options) throws Exception {
    Contender contender = Contender.parse(options.require("contender"));
    Workload workload = Workload.parse(options.require("workload"));
    String codec = options.get("codec", "json");
    int connections = options.getInt("connections", 1);
    int inFlight = options.getInt("window", 64);
    long measureNanos = TimeUnit.MILLISECONDS.toNanos(options.getInt("measure-ms", 3000));
    boolean threadStats = options.flag("thread-stats");
    long serverPid = Long.parseLong(options.get("server-pid", "0"));
    Warmup warmup =
        new Warmup(
            TimeUnit.MILLISECONDS.toNanos(options.getInt("warmup-ms", 3000)),
            TimeUnit.MILLISECONDS.toNanos(options.getInt("max-warmup-ms", 20_000)),
            !workload.isLatency(),
            serverPid);
    ServerEnd server = null;
    ServerMeter meter = null;
    InetSocketAddress address;
    if (options.flag("in-process")) {
      server = ServerEnd.start(contender, codec, workload.echoes());
      // in one JVM, the load generator's thread statistics already cover the server's threads
      meter = new ServerMeter(server.tally());
      address = server.address();
    } else {
      address = new InetSocketAddress("127.0.0.1", port(options));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    Window window = new Window(threadStats, options.flag("in-process") ? 0 : serverPid);
    Map<String, Object> uptimes = new LinkedHashMap<>();
    uptimes.put("start", uptimeMillis());
    long sent;
    try (ClientEnd client =
        workload.plain()
            ? PlainClient.connect(contender, codec, address, connections)
            : ClientEnd.connect(contender, codec, address, connections)) {
      uptimes.put("connected", uptimeMillis());
      sent =
          switch (workload) {
            case ROUND_TRIP, PLAIN_ROUND_TRIP, REQUEST ->
                oneAtATime(client, workload, warmup, measureNanos, window, result);
            case ECHO, PLAIN_ECHO ->
                pipelined(client.startEcho(inFlight), warmup, measureNanos, window, result);
            case ONE_WAY -> pipelined(client.startOneWay(), warmup, measureNanos, window, result);
          };
      uptimes.put("measured", uptimeMillis());
    }
    uptimes.put("closed", uptimeMillis());
    result.put("sent", sent);
    if (workload == Workload.ECHO || workload == Workload.PLAIN_ECHO) {
      result.put("window", inFlight);
    }
    result.put("warmupMillis", TimeUnit.NANOSECONDS.toMillis(window.from - window.warmupFrom));
    result.put("settled", warmup.settled());
    result.put("warmupCurve", warmup.figures());
    result.put("windowNanos", List.of(window.from, window.to));
    if (server != null) {
      try (ServerEnd s = server) {
        result.put("server", BenchServer.result(s.tally(), meter, sent, window.from, window.to));
      }
    }
    result.put("uptimeMillis", uptimes);
    if (threadStats) {
      result.put("threadStats", window.threads());
      if (window.serverPid > 0) {
        result.put("serverThreadStats", window.serverThreads());
      }
    }
    return result;
  }

  /**
   * Round trips one at a time on the calling thread: warm-up until the median of each 500 ms stops
   * falling, then the measurement, every round trip timed.
   */
  private static long oneAtATime(
      ClientEnd client,
      Workload workload,
      Warmup warmup,
      long measureNanos,
      Window window,
      Map<String, Object> result)
      throws Exception {
    boolean request = workload == Workload.REQUEST;
    // the first one connects (Tether connects when the workload starts) and initialises the codec;
    // the warm-up starts after it
    if (request) {
      client.request(0);
    } else {
      client.roundTrip(0);
    }
    long seq = 1;
    Percentiles times = new Percentiles();
    long[] interval = new long[1024];
    int inInterval = 0;
    long start = System.nanoTime();
    window.warmupFrom = start;
    long intervalEnd = start + Warmup.INTERVAL_NANOS;
    long end = Long.MAX_VALUE;
    boolean measuring = false;
    while (true) {
      long t0 = System.nanoTime();
      if (measuring && t0 - end >= 0 && times.count() > 0) {
        break; // at least one sample, even if a round trip outlasted a very short measurement
      }
      if (request) {
        client.request(seq);
      } else {
        client.roundTrip(seq);
      }
      seq++;
      long t1 = System.nanoTime();
      if (measuring) {
        times.add(t1 - t0);
        continue;
      }
      if (inInterval == interval.length) {
        interval = Arrays.copyOf(interval, inInterval * 2);
      }
      interval[inInterval++] = t1 - t0;
      if (t1 - intervalEnd >= 0) {
        Arrays.sort(interval, 0, inInterval);
        double median = interval[(inInterval - 1) / 2] / 1e3;
        inInterval = 0;
        intervalEnd = t1 + Warmup.INTERVAL_NANOS;
        if (warmup.over(t1 - start, median)) {
          measuring = true;
          window.open(t1);
          end = t1 + measureNanos;
        }
      }
    }
    window.close(System.nanoTime(), times.count());
    result.put("latency", times.summary());
    result.put("echoed", seq); // each round trip checked its own echo
    result.put("echoErrors", 0);
    return seq;
  }

  /**
   * A pipelined workload, already started: warm-up until the rate of each 500 ms stops rising, then
   * the rate over the measurement time; then stops it and returns what was sent.
   */
  private static long pipelined(
      Flow flow, Warmup warmup, long measureNanos, Window window, Map<String, Object> result)
      throws Exception {
    long start = System.nanoTime();
    window.warmupFrom = start;
    long last = start;
    long lastCount = flow.progress();
    while (true) {
      Waits.untilNanoTime(last + Warmup.INTERVAL_NANOS);
      long now = System.nanoTime();
      long count = flow.progress();
      double rate = (count - lastCount) * 1e9 / (now - last);
      last = now;
      lastCount = count;
      if (warmup.over(now - start, rate)) {
        break;
      }
    }
    window.open(last);
    Waits.untilNanoTime(last + measureNanos);
    long count = flow.progress();
    long now = System.nanoTime();
    window.close(now, count - lastCount);
    flow.stop();
    result.put("perSecond", (count - lastCount) * 1e9 / (now - last));
    Tally echoes = flow.echoes();
    result.put("echoed", echoes.received());
    result.put("echoErrors", echoes.errors());
    if (echoes.firstError() != null) {
      result.put("firstEchoError", echoes.firstError());
    }
    return flow.sent();
  }

  /**
   * The measurement time, and, if asked for, how this JVM's threads and the server JVM's lived it:
   * read from {@code /proc} as the measurement opens and closes, by this thread, so that the server
   * takes no samples of its own while it is measured (sampling its threads ten times a second there
   * made Tether's round trip read about 10 µs slower on a 2-core machine).
   */
  private static final class Window {
    private final boolean threadStats;
    final long serverPid;
    private ThreadStats before;
    private ThreadStats serverBefore;
    private List<Map<String, Object>> threads;
    private List<Map<String, Object>> serverThreads;
    private long messages;
    long warmupFrom;
    long from;
    long to;

    /**
     * @param serverPid the server JVM's process id, or 0 if it is this JVM or unknown
     */
    Window(boolean threadStats, long serverPid) {
      this.threadStats = threadStats;
      this.serverPid = serverPid;
    }

    void open(long nanos) {
      from = nanos;
      if (threadStats) {
        before = ThreadStats.snapshot();
        if (serverPid > 0) {
          serverBefore = ThreadStats.snapshot(serverPid);
        }
      }
    }

    void close(long nanos, long messages) {
      to = nanos;
      if (threadStats && before != null) {
        threads = ThreadStats.snapshot().since(before);
        if (serverBefore != null) {
          serverThreads = ThreadStats.snapshot(serverPid).since(serverBefore);
        }
        this.messages = messages;
      }
    }

    Map<String, Object> threads() {
      return stats(threads);
    }

    /** The server JVM's threads, with the messages of this end's measurement. */
    Map<String, Object> serverThreads() {
      return stats(serverThreads);
    }

    private Map<String, Object> stats(List<Map<String, Object>> list) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("messages", messages);
      out.put("threads", list);
      return out;
    }
  }

  /**
   * Returns {@code --port}, or with {@code --port stdin} reads it from a {@code PORT <n>} line: the
   * harness starts this JVM while the server's is still starting, and passes the port when known.
   */
  private static int port(Options options) throws IOException {
    String port = options.require("port");
    if (!port.equals("stdin")) {
      return Integer.parseInt(port);
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.startsWith("PORT ")) {
        return Integer.parseInt(line.substring(5).trim());
      }
    }
    throw new IOException("standard input ended before a PORT line");
  }

  /** Milliseconds since this JVM started: where the time of a measurement goes. */
  private static long uptimeMillis() {
    return ManagementFactory.getRuntimeMXBean().getUptime();
  }
}
