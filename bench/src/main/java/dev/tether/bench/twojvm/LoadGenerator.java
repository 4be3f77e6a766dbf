package dev.tether.bench.twojvm;

import dev.tether.bench.twojvm.ClientEnd.Flow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The load-generator JVM of a two-JVM measurement: connects one contender's client to its server,
 * runs one workload (warm-up, then measurement), closes, and prints {@code RESULT <json>}: the
 * latency percentiles or the rate, and what it sent and received back, checked.
 *
 * <p>Usage: {@code LoadGenerator --contender tether --workload round-trip|request|echo|one-way
 * --codec json --connections 1 --window 64 --warmup-ms 2000 --measure-ms 3000 --port <port>|stdin}.
 * {@code --in-process} instead of {@code --port} starts the server inside this JVM: the one-JVM
 * control for the same code, used to study how sharing a JVM changes the figures.
 */
public final class LoadGenerator {
  /** How long a one-way stream goes on after the server's measurement should have ended. */
  private static final long ONE_WAY_TAIL_MILLIS = 300;

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
    int window = options.getInt("window", 64);
    long warmupNanos = TimeUnit.MILLISECONDS.toNanos(options.getInt("warmup-ms", 2000));
    long measureNanos = TimeUnit.MILLISECONDS.toNanos(options.getInt("measure-ms", 3000));
    ServerEnd server = null;
    SinkClock clock = null;
    InetSocketAddress address;
    if (options.flag("in-process")) {
      server = ServerEnd.start(contender, codec, workload.echoes());
      if (!workload.echoes()) {
        clock =
            new SinkClock(
                server.tally(),
                options.getInt("warmup-ms", 2000),
                options.getInt("measure-ms", 3000));
      }
      address = server.address();
    } else {
      address = new InetSocketAddress("127.0.0.1", port(options));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    Map<String, Object> uptimes = new LinkedHashMap<>();
    uptimes.put("start", uptimeMillis());
    long sent;
    try (ClientEnd client = ClientEnd.connect(contender, codec, address, connections)) {
      uptimes.put("connected", uptimeMillis());
      sent =
          switch (workload) {
            case ROUND_TRIP, REQUEST ->
                oneAtATime(client, workload, warmupNanos, measureNanos, result);
            case ECHO -> echo(client, window, warmupNanos, measureNanos, result);
            case ONE_WAY -> oneWay(client, warmupNanos, measureNanos, result);
          };
      uptimes.put("measured", uptimeMillis());
    }
    uptimes.put("closed", uptimeMillis());
    result.put("sent", sent);
    if (server != null) {
      try (ServerEnd s = server) {
        result.put("server", BenchServer.result(s.tally(), sent, clock));
      }
    }
    result.put("uptimeMillis", uptimes);
    return result;
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

  private static long oneAtATime(
      ClientEnd client, Workload workload, long warmup, long measure, Map<String, Object> result)
      throws Exception {
    Percentiles times = new Percentiles();
    boolean request = workload == Workload.REQUEST;
    // the first one connects (Tether connects when the workload starts) and initialises the codec;
    // the warm-up time starts after it
    if (request) {
      client.request(0);
    } else {
      client.roundTrip(0);
    }
    long seq = 1;
    long start = System.nanoTime();
    long measureFrom = start + warmup;
    long end = measureFrom + measure;
    while (true) {
      long t0 = System.nanoTime();
      if (t0 - end >= 0 && times.count() > 0) {
        break; // at least one sample, even if a round trip outlasted a very short measurement
      }
      if (request) {
        client.request(seq);
      } else {
        client.roundTrip(seq);
      }
      seq++;
      long t1 = System.nanoTime();
      if (t0 - measureFrom >= 0) {
        times.add(t1 - t0);
      }
    }
    result.put("latency", times.summary());
    result.put("echoed", seq); // each round trip checked its own echo
    result.put("echoErrors", 0);
    return seq;
  }

  private static long echo(
      ClientEnd client, int window, long warmup, long measure, Map<String, Object> result)
      throws Exception {
    Flow flow = client.startEcho(window);
    long start = System.nanoTime(); // connected and primed
    Waits.untilNanoTime(start + warmup);
    long c0 = flow.progress();
    long t0 = System.nanoTime();
    Waits.untilNanoTime(t0 + measure);
    long c1 = flow.progress();
    long t1 = System.nanoTime();
    flow.stop();
    result.put("perSecond", (c1 - c0) * 1e9 / (t1 - t0));
    result.put("window", window);
    Tally echoes = flow.echoes();
    result.put("echoed", echoes.received());
    result.put("echoErrors", echoes.errors());
    if (echoes.firstError() != null) {
      result.put("firstEchoError", echoes.firstError());
    }
    return flow.sent();
  }

  private static long oneWay(
      ClientEnd client, long warmup, long measure, Map<String, Object> result) throws Exception {
    Flow flow = client.startOneWay();
    long start = System.nanoTime(); // connected
    Waits.untilNanoTime(start + warmup);
    long c0 = flow.progress();
    long t0 = System.nanoTime();
    Waits.untilNanoTime(t0 + measure);
    long c1 = flow.progress();
    long t1 = System.nanoTime();
    // the server's clock started at the first message it received, a little later than ours
    Waits.untilNanoTime(t1 + TimeUnit.MILLISECONDS.toNanos(ONE_WAY_TAIL_MILLIS));
    flow.stop();
    result.put("sentPerSecond", (c1 - c0) * 1e9 / (t1 - t0));
    return flow.sent();
  }
}
