package dev.tether.bench.twojvm;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server JVM of a two-JVM measurement: binds one contender's server on a free loopback port and
 * prints {@code LISTENING <port>}. When the harness writes {@code EXPECT <n>} on its standard input
 * (n: the messages the load generator sent), it waits until n have arrived, at most 30 s, prints
 * {@code RESULT <json>} (received, out-of-sequence, and for one-way the rate it measured) and
 * exits.
 *
 * <p>Usage: {@code BenchServer --contender tether|tether-loop|netty|raw --codec json --workload
 * round-trip|request|echo|one-way [--warmup-ms 2000 --measure-ms 3000]}; the times are for one-way,
 * where the server measures the rate.
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws Exception {
    Options options = new Options(args);
    Contender contender = Contender.parse(options.require("contender"));
    Workload workload = Workload.parse(options.require("workload"));
    String codec = options.get("codec", "json");
    ServerEnd server = ServerEnd.start(contender, codec, workload.echoes());
    SinkClock clock =
        workload.echoes()
            ? null
            : new SinkClock(
                server.tally(),
                options.getInt("warmup-ms", 2000),
                options.getInt("measure-ms", 3000));
    System.out.println("LISTENING " + server.address().getPort());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("EXPECT ")) {
        long expected = Long.parseLong(line.substring(7).trim());
        System.out.println("RESULT " + Json.write(result(server.tally(), expected, clock)));
        System.out.flush();
        // the load generator has closed its connections; a graceful close would only cost time
        System.exit(0);
      }
    }
    server.close();
    System.exit(0);
  }

  /** Waits for {@code expected} messages, then describes what arrived. */
  static Map<String, Object> result(Tally tally, long expected, SinkClock clock)
      throws InterruptedException {
    Map<String, Object> result = new LinkedHashMap<>();
    try {
      Waits.until(() -> tally.received() >= expected, expected + " messages at the server");
    } catch (IllegalStateException e) {
      result.put("error", e.getMessage() + "; " + tally.received() + " arrived");
    }
    result.put("received", tally.received());
    result.put("errors", tally.errors());
    result.put("connections", tally.connections());
    if (tally.firstError() != null) {
      result.put("firstError", tally.firstError());
    }
    if (clock != null) {
      clock.await(30_000);
      result.put("perSecond", clock.perSecond());
    }
    return result;
  }
}
