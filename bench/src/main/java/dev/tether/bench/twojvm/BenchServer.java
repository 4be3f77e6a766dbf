package dev.tether.bench.twojvm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server JVM of a two-JVM measurement: binds one contender's server on a free loopback port and
 * prints {@code LISTENING <port>}. When the harness writes {@code EXPECT <n> <from> <to>} on its
 * standard input (n: the messages the load generator sent; from and to: its measurement time in
 * {@code System.nanoTime()}), it waits until n have arrived, at most 30 s, prints {@code RESULT
 * <json>} (received, out of sequence, the rate it received at during that time) and exits.
 *
 * <p>Usage: {@code BenchServer --contender tether|tether-pool|tether-loop|netty|raw --codec json
 * --workload round-trip|request|echo|one-way|plain-round-trip|plain-echo}.
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    Options options = new Options(args);
    Contender contender = Contender.parse(options.require("contender"));
    Workload workload = Workload.parse(options.require("workload"));
    String codec = options.get("codec", "json");
    ServerEnd server = ServerEnd.start(contender, codec, workload.echoes());
    ServerMeter meter = new ServerMeter(server.tally());
    System.out.println("LISTENING " + server.address().getPort());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("EXPECT ")) {
        String[] f = line.substring(7).trim().split(" ");
        long expected = Long.parseLong(f[0]);
        long from = Long.parseLong(f[1]);
        long to = Long.parseLong(f[2]);
        System.out.println(
            "RESULT " + Json.write(result(server.tally(), meter, expected, from, to)));
        System.out.flush();
        // the load generator has closed its connections; a graceful close would only cost time
        System.exit(0);
      }
    }
    server.close();
    System.exit(0);
  }

  /**
   * Waits for {@code expected} messages, then describes what arrived, and at what rate between
   * {@code fromNanos} and {@code toNanos}.
   */
  static Map<String, Object> result(
      Tally tally, ServerMeter meter, long expected, long fromNanos, long toNanos)
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
    result.put("perSecond", meter.perSecond(fromNanos, toNanos));
    return result;
  }
}
