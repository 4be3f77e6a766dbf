package dev.tether.bench.twojvm;

import dev.tether.bench.twojvm.ClientEnd.Flow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The load-generator JVM of a two-JVM measurement: connects one contender's client to its server,
 * runs one workload, warming up until its figure stops improving ({@link Warmup}), then measures it
 * in slices with the workload paused in between ({@link ClientEnd.Flow#pause}), closes, and prints
 * {@code RESULT <json>}: the latency percentiles over all slices or the median of the slices'
 * rates, each slice's figure and time in {@code System.nanoTime()} (for the server's side of it),
 * what it sent and received back, checked, and how the warm-up went.
 *
 * <p>Driven by the harness ({@code --driven}), it prints {@code WARM} once warm and paused, then
 * measures a slice for each {@code SLICE <ms>} line on its standard input, printing {@code SLICE
 * <json>} after each, until {@code END}: the harness interleaves the slices of every contender of a
 * point, so that a change in the machine's speed meets all of them alike. Without {@code --driven}
 * it measures {@code --slices} slices back to back, {@code --measure-ms} in all.
 *
 * <p>Usage: {@code LoadGenerator --contender tether --workload round-trip|request|echo|one-way
 * --codec json --connections 1 --window 64 --warmup-ms 3000 --max-warmup-ms 20000 --measure-ms 2000
 * [--slices 4] [--driven] --port <port>|stdin [--server-pid <pid>]}; with the server's process id
 * the warm-up also waits for the server's JIT to go quiet. {@code --in-process} instead of {@code
 * --port} starts the server inside this JVM: the one-JVM control for the same code, used to study
 * how sharing a JVM changes the figures. {@code --thread-stats} adds what every thread did from the
 * first slice's start to the last one's end ({@link ThreadStats}).
 */
public final class LoadGenerator {
  /**
   * Time after each resume before a slice is measured: the window refills, the stream and the
   * threads that slept during the pause get going.
   */
  static final long RAMP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /**
   * The ramp before the first slice, which follows the longest pause (while the other contenders of
   * the point warmed up): its first half second measured a third of the later slices' rate.
   */
  static final long FIRST_RAMP_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

  /** The warm-up pauses and resumes the workload once every this many intervals. */
  private static final int PAUSE_EVERY = 4;

  private static BufferedReader stdin;

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
    boolean threadStats = options.flag("thread-stats");
    Driver driver =
        options.flag("driven")
            ? new Driven()
            : new BackToBack(
                options.getInt("slices", 4),
                TimeUnit.MILLISECONDS.toNanos(options.getInt("measure-ms", 2000)));
    Warmup warmup =
        new Warmup(
            TimeUnit.MILLISECONDS.toNanos(options.getInt("warmup-ms", 3000)),
            TimeUnit.MILLISECONDS.toNanos(options.getInt("max-warmup-ms", 20_000)),
            !workload.isLatency(),
            Long.parseLong(options.get("server-pid", "0")));
    ServerEnd server = null;
    ServerMeter meter = null;
    InetSocketAddress address;
    if (options.flag("in-process")) {
      server = ServerEnd.start(contender, codec, workload.echoes());
      // in one JVM, the load generator's thread statistics already cover the server's threads
      meter = new ServerMeter(server.tally(), false);
      address = server.address();
    } else {
      address = new InetSocketAddress("127.0.0.1", port(options));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    Window window = new Window(threadStats);
    Map<String, Object> uptimes = new LinkedHashMap<>();
    uptimes.put("start", uptimeMillis());
    long sent;
    try (ClientEnd client = ClientEnd.connect(contender, codec, address, connections)) {
      uptimes.put("connected", uptimeMillis());
      sent =
          switch (workload) {
            case ROUND_TRIP, REQUEST ->
                oneAtATime(client, workload, warmup, driver, window, result);
            case ECHO -> pipelined(client.startEcho(inFlight), warmup, driver, window, result);
            case ONE_WAY -> pipelined(client.startOneWay(), warmup, driver, window, result);
          };
      uptimes.put("measured", uptimeMillis());
    }
    uptimes.put("closed", uptimeMillis());
    result.put("sent", sent);
    if (workload == Workload.ECHO) {
      result.put("window", inFlight);
    }
    result.put("warmupMillis", TimeUnit.NANOSECONDS.toMillis(window.warmupTo - window.warmupFrom));
    result.put("settled", warmup.settled());
    result.put("warmupCurve", warmup.figures());
    result.put("windowNanos", List.of(window.from, window.to));
    result.put("slicesNanos", window.slices);
    if (server != null) {
      try (ServerEnd s = server) {
        result.put("server", BenchServer.result(s.tally(), meter, sent, toArray(window.slices)));
      }
    }
    result.put("uptimeMillis", uptimes);
    if (threadStats) {
      result.put("threadStats", window.threads());
    }
    return result;
  }

  /**
   * Round trips one at a time on the calling thread: warm-up until the median of each 500 ms stops
   * falling, then the slices, every round trip of them timed.
   */
  private static long oneAtATime(
      ClientEnd client,
      Workload workload,
      Warmup warmup,
      Driver driver,
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
    long[] interval = new long[1024];
    int inInterval = 0;
    long start = System.nanoTime();
    window.warmupFrom = start;
    long intervalEnd = start + Warmup.INTERVAL_NANOS;
    while (true) {
      long t0 = System.nanoTime();
      if (request) {
        client.request(seq);
      } else {
        client.roundTrip(seq);
      }
      seq++;
      long t1 = System.nanoTime();
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
          window.warmupTo = t1;
          break;
        }
      }
    }
    driver.warm();
    Percentiles times = new Percentiles();
    List<Map<String, Object>> slices = new ArrayList<>();
    for (long slice; (slice = driver.nextSlice()) > 0; ) {
      long ramped = System.nanoTime() + (slices.isEmpty() ? FIRST_RAMP_NANOS : RAMP_NANOS);
      while (System.nanoTime() - ramped < 0) {
        if (request) {
          client.request(seq++);
        } else {
          client.roundTrip(seq++);
        }
      }
      int first = times.count();
      long from = System.nanoTime();
      window.open(from, seq);
      long end = from + slice;
      while (true) {
        long t0 = System.nanoTime();
        if (t0 - end >= 0 && times.count() > first) {
          break; // at least one sample, even if a round trip outlasted a very short slice
        }
        if (request) {
          client.request(seq);
        } else {
          client.roundTrip(seq);
        }
        seq++;
        times.add(System.nanoTime() - t0);
      }
      long to = System.nanoTime();
      window.close(to, seq);
      Map<String, Object> figure = new LinkedHashMap<>();
      figure.put("from", from);
      figure.put("to", to);
      figure.put("p50", times.medianSince(first));
      figure.put("samples", times.count() - first);
      slices.add(figure);
      driver.sliceDone(figure);
    }
    result.put("latency", times.summary());
    result.put("slices", slices);
    result.put("echoed", seq); // each round trip checked its own echo
    result.put("echoErrors", 0);
    return seq;
  }

  /**
   * A pipelined workload, already started: warm-up until the rate of each 500 ms stops rising, then
   * paused; the slices, each resumed, measured and paused again; then stops it and returns what was
   * sent. Its figure is the median of the slices' rates.
   */
  private static long pipelined(
      Flow flow, Warmup warmup, Driver driver, Window window, Map<String, Object> result)
      throws Exception {
    long start = System.nanoTime();
    window.warmupFrom = start;
    long last = start;
    long lastCount = flow.progress();
    int intervals = 0;
    while (true) {
      Waits.untilNanoTime(last + Warmup.INTERVAL_NANOS);
      long now = System.nanoTime();
      long count = flow.progress();
      double rate = (count - lastCount) * 1e9 / (now - last);
      if (warmup.over(now - start, rate)) {
        window.warmupTo = now;
        flow.pause();
        break;
      }
      last = now;
      lastCount = count;
      if (++intervals % PAUSE_EVERY == 0) {
        // so that the JIT compiles the paths a pause takes (a flag read false, a drained window)
        // during the warm-up: compiled while never taken, the first pause after it would send
        // the hot code back to the interpreter, and the first slices would measure that
        flow.pause();
        flow.resume();
        last = System.nanoTime();
        lastCount = flow.progress();
      }
    }
    driver.warm();
    List<Map<String, Object>> slices = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (long slice; (slice = driver.nextSlice()) > 0; ) {
      flow.resume();
      Waits.untilNanoTime(System.nanoTime() + (slices.isEmpty() ? FIRST_RAMP_NANOS : RAMP_NANOS));
      long from = System.nanoTime();
      long first = flow.progress();
      window.open(from, first);
      Waits.untilNanoTime(from + slice);
      long count = flow.progress();
      long to = System.nanoTime();
      window.close(to, count);
      flow.pause();
      double rate = (count - first) * 1e9 / (to - from);
      rates.add(rate);
      Map<String, Object> figure = new LinkedHashMap<>();
      figure.put("from", from);
      figure.put("to", to);
      figure.put("perSecond", rate);
      slices.add(figure);
      driver.sliceDone(figure);
    }
    flow.stop();
    result.put("perSecond", median(rates));
    result.put("slices", slices);
    Tally echoes = flow.echoes();
    result.put("echoed", echoes.received());
    result.put("echoErrors", echoes.errors());
    if (echoes.firstError() != null) {
      result.put("firstEchoError", echoes.firstError());
    }
    return flow.sent();
  }

  /** Returns the median of {@code values}; NaN if there are none. */
  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static long[] toArray(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** Says when to measure a slice, and hears what it measured. */
  private interface Driver {
    /** The workload is warm and paused. */
    void warm();

    /** Returns the length of the next slice in nanoseconds, or 0 once the measurement is over. */
    long nextSlice() throws IOException;

    /** The slice just measured. */
    void sliceDone(Map<String, Object> figure);
  }

  /** The harness, on standard input and output: {@code WARM}, {@code SLICE <ms>}, {@code END}. */
  private static final class Driven implements Driver {
    @Override
    public void warm() {
      System.out.println("WARM");
      System.out.flush();
    }

    @Override
    public long nextSlice() throws IOException {
      for (String line; (line = stdin().readLine()) != null; ) {
        if (line.startsWith("SLICE ")) {
          return TimeUnit.MILLISECONDS.toNanos(Long.parseLong(line.substring(6).trim()));
        }
        if (line.equals("END")) {
          return 0;
        }
      }
      throw new IOException("standard input ended before END");
    }

    @Override
    public void sliceDone(Map<String, Object> figure) {
      System.out.println("SLICE " + Json.write(figure));
      System.out.flush();
    }
  }

  /** A fixed number of slices, one after the other. */
  private static final class BackToBack implements Driver {
    private final long sliceNanos;
    private int left;

    BackToBack(int slices, long measureNanos) {
      this.left = Math.max(1, slices);
      this.sliceNanos = Math.max(1, measureNanos / left);
    }

    @Override
    public void warm() {}

    @Override
    public long nextSlice() {
      return left-- > 0 ? sliceNanos : 0;
    }

    @Override
    public void sliceDone(Map<String, Object> figure) {}
  }

  /**
   * The slices' times, from the first one's start to the last one's end, and, if asked for, how
   * this JVM's threads lived that span.
   */
  private static final class Window {
    private final boolean threadStats;
    private ThreadStats before;
    private List<Map<String, Object>> threads;
    private long firstProgress;
    private long messages;
    final List<Long> slices = new ArrayList<>();
    long warmupFrom;
    long warmupTo;
    long from;
    long to;

    Window(boolean threadStats) {
      this.threadStats = threadStats;
    }

    /** A slice starts, with the flow's progress so far. */
    void open(long nanos, long progress) {
      slices.add(nanos);
      if (slices.size() > 1) {
        return;
      }
      from = nanos;
      firstProgress = progress;
      if (threadStats) {
        before = ThreadStats.snapshot();
      }
    }

    /** A slice ends, with the flow's progress so far. */
    void close(long nanos, long progress) {
      slices.add(nanos);
      to = nanos;
      messages = progress - firstProgress;
      if (threadStats && before != null) {
        threads = ThreadStats.snapshot().since(before);
      }
    }

    Map<String, Object> threads() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("messages", messages);
      out.put("threads", threads);
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
    for (String line; (line = stdin().readLine()) != null; ) {
      if (line.startsWith("PORT ")) {
        return Integer.parseInt(line.substring(5).trim());
      }
    }
    throw new IOException("standard input ended before a PORT line");
  }

  private static synchronized BufferedReader stdin() {
    if (stdin == null) {
      stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    }
    return stdin;
  }

  /** Milliseconds since this JVM started: where the time of a measurement goes. */
  private static long uptimeMillis() {
    return ManagementFactory.getRuntimeMXBean().getUptime();
  }
}
