package dev.tether.bench.twojvm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server JVM of a two-JVM measurement: binds one contender's server on a free loopback port and
 * prints {@code LISTENING <port>}. When the harness writes {@code EXPECT <n> <from> <to> ...} on
 * its standard input (n: the messages the load generator sent; each from and to: one slice of its
 * measurement in {@code System.nanoTime()}), it waits until n have arrived, at most 30 s, prints
 * {@code RESULT <json>} (received, out of sequence, the rate it received at in each slice and their
 * median) and exits.
 *
 * <p>Usage: {@code BenchServer --contender tether|tether-pool|tether-loop|netty|raw --codec json
 * --workload round-trip|request|echo|one-way [--thread-stats]}.
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    Options options = new Options(args);
    Contender contender = Contender.parse(options.require("contender"));
    Workload workload = Workload.parse(options.require("workload"));
    String codec = options.get("codec", "json");
    ServerEnd server = ServerEnd.start(contender, codec, workload.echoes());
    ServerMeter meter = new ServerMeter(server.tally(), options.flag("thread-stats"));
    System.out.println("LISTENING " + server.address().getPort());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("EXPECT ")) {
        long[] f =
            Arrays.stream(line.substring(7).trim().split(" ")).mapToLong(Long::parseLong).toArray();
        long[] slices = Arrays.copyOfRange(f, 1, f.length);
        System.out.println("RESULT " + Json.write(result(server.tally(), meter, f[0], slices)));
        System.out.flush();
        // the load generator has closed its connections; a graceful close would only cost time
        System.exit(0);
      }
    }
    server.close();
    System.exit(0);
  }

  /**
   * Waits for {@code expected} messages, then describes what arrived, and at what rate in each
   * slice of the measurement: {@code slices} holds each one's start and end in {@code
   * System.nanoTime()}, one after the other.
   */
  static Map<String, Object> result(Tally tally, ServerMeter meter, long expected, long[] slices)
      throws InterruptedException {
    Map<String, Object> result = new LinkedHashMap<>();
    try {
      Waits.until(() -> tally.received() >= expected, expected + " messages at the server");
    } catch (IllegalStateException e) {
      result.put("error", e.getMessage() + "; " + tally.received() + " arrived");
    }
    meter.stop();
    result.put("received", tally.received());
    result.put("errors", tally.errors());
    result.put("connections", tally.connections());
    if (tally.firstError() != null) {
      result.put("firstError", tally.firstError());
    }
    List<Double> rates = new ArrayList<>();
    List<Map<String, Object>> figures = new ArrayList<>();
    for (int i = 0; i + 1 < slices.length; i += 2) {
      double rate = meter.perSecond(slices[i], slices[i + 1]);
      rates.add(rate);
      Map<String, Object> figure = new LinkedHashMap<>();
      figure.put("from", slices[i]);
      figure.put("to", slices[i + 1]);
      figure.put("perSecond", rate);
      figures.add(figure);
    }
    result.put("perSecond", LoadGenerator.median(rates));
    result.put("slices", figures);
    if (slices.length < 2) {
      return result;
    }
    Map<String, Object> threads = meter.threads(slices[0], slices[slices.length - 1]);
    if (!threads.isEmpty()) {
      result.put("threadStats", threads);
    }
    return result;
  }
}
