package dev.tether.bench.report;

import dev.tether.bench.report.TwoJvmResults.Key;
import dev.tether.bench.report.TwoJvmResults.Point;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The two-JVM part of {@code summary.md}: round trips, pipelined echo and one-way throughput, each
 * as the median over rounds with its spread, the ratios to raw and Netty computed round by round,
 * and whether those ratios held within ±15%.
 */
final class TwoJvmSection {
  /** The agreement two runs should reach on every ratio. */
  static final double TARGET = 0.15;

  private static final List<String> TETHERS = List.of("TETHER", "TETHER_POOL", "TETHER_LOOP");

  /** A ratio the section reported, named {@code what}: {@code a ÷ b} of {@code metric}. */
  private record Ratio(Key a, Key b, String metric, String what, Spread spread) {}

  private final TwoJvmResults results;
  private final TwoJvmResults earlier;
  private final String earlierName;
  private final StringBuilder md;
  private final List<Ratio> ratios = new ArrayList<>();
  private final List<String> outside = new ArrayList<>();

  /**
   * @param earlier another run's results to compare this run's ratios with, or null
   * @param earlierName what to call that run in the text
   */
  TwoJvmSection(
      TwoJvmResults results, TwoJvmResults earlier, String earlierName, StringBuilder md) {
    this.results = results;
    this.earlier = earlier;
    this.earlierName = earlierName;
    this.md = md;
  }

  void write() {
    int rounds = results.rounds().size();
    md.append("## Two JVMs\n\n")
        .append("The server in one JVM, the load generator in another, both started by the harness")
        .append(" (`dev.tether.bench.twojvm.TwoJvmRun`) with the same `java`, class path and")
        .append(" flags (`")
        .append(results.setting("jvmArgs"))
        .append("`), over loopback TCP, 64-byte payloads. ")
        .append(
            String.format(
                Locale.ROOT,
                "**%s**; in each round every figure is **one fork**: a fresh server JVM and"
                    + " a fresh load-generator JVM, warmed up until the figure stopped improving"
                    + " and both JITs went quiet (the median of the last 2 s within 10%% of the 2 s"
                    + " before, under 10%% of those 2 s spent compiling; at least %s ms, at most %s"
                    + " ms: it took %s s), then %s ms measured. ",
                rounds == 1 ? "1 round" : rounds + " rounds",
                results.setting("warmupMillis"),
                results.setting("maxWarmupMillis"),
                results.warmupSeconds().format(v -> String.format(Locale.ROOT, "%.1f", v)),
                results.setting("measureMillis")))
        .append("Within a round the contenders of a point run back to back, seconds apart, in an")
        .append(" order that rotates from round to round; ratios are computed within each round")
        .append(" and then summarised. Figures are `median [min–max]` over the rounds; a ratio's")
        .append(" `±` is the largest distance of a round's ratio from the median. Every message")
        .append(" carries a per-connection sequence number that the receiver checks, and the")
        .append(" server's count must equal what the load generator sent, or the measurement is")
        .append(" marked failed instead of reported.\n\n");
    systemCalls();
    latency();
    throughput(
        "ECHO",
        "### Two JVMs: pipelined echo throughput\n\n"
            + "Echoes per second at the load generator, which keeps "
            + results.setting("window")
            + " messages in flight on every connection (each echo sends the next). Tether and Netty"
            + " send from their handlers; raw writes back each run of echoes it reads.");
    throughput(
        "ONE_WAY",
        "### Two JVMs: one-way throughput\n\n"
            + "Messages per second counted at the server, which checks every sequence number; the"
            + " load generator streams as fast as the transport lets it (Tether `sendAll` of 256"
            + " messages a call, which waits while its queue is full; Netty writes 256 messages"
            + " per flush on its loop while the channel is writable; raw writes 1000 pre-encoded"
            + " frames per system call). `bytes` is the transport alone.");
    throughput(
        "PLAIN_ECHO",
        "### Two JVMs: pipelined echo from one plain client\n\n"
            + "The pipelined echo again, but every server is measured with the same client, raw's:"
            + " a thread per connection on a blocking socket that keeps "
            + results.setting("window")
            + " messages in flight and answers each run of echoes it reads with as many new ones"
            + " in one write, in the server's own frames (see the plain client's round trip"
            + " above). Only the servers differ; when the client's thread is the bottleneck the"
            + " rates converge, and the servers' CPU per message (below) tells them apart.");
    cpuPerMessage();
    repeatability(rounds);
    comparison();
    unsettled();
    failures();
  }

  /** What a system call cost on the machine, if the harness measured it before the run. */
  private void systemCalls() {
    JsonNode calls = results.settings().path("systemCalls");
    if (!calls.has("selectNowNanos")) {
      return;
    }
    md.append(
        String.format(
            Locale.ROOT,
            "A system call took, measured from Java before the run: %s µs for a look at a selector"
                + " that finds nothing, %s µs for a read of an empty socket, %s µs for a 1-byte"
                + " write. The fewer messages each one carries (round trips, pipelined echo), the"
                + " more the figures move with it from machine to machine.\n\n",
            micros(calls.path("selectNowNanos")),
            micros(calls.path("emptyReadNanos")),
            micros(calls.path("oneByteWriteNanos"))));
  }

  private static String micros(JsonNode nanos) {
    return String.format(Locale.ROOT, "%.2f", nanos.asDouble(Double.NaN) / 1e3);
  }

  private void latency() {
    for (Point point : results.points("ROUND_TRIP")) {
      md.append("### Two JVMs: round trip, one at a time, `")
          .append(point.codec())
          .append("`\n\n")
          .append("Microseconds from `send` to the echo's arrival, measured by the load")
          .append(" generator's calling thread, which waits for each echo before the next send")
          .append(" (Tether `send` + `receive`, or `request().get()`; Netty `writeAndFlush` and a")
          .append(
              " queue its handler fills; raw a blocking write and read). Ratios: p50 ÷ the same")
          .append(" round's p50, higher is slower; the `request()` rows are divided by raw's and")
          .append(" Netty's DATA round trip, as they have no request of their own.\n\n")
          .append("| contender | p50 µs | p90 µs | p99 µs | p50 ÷ raw | p50 ÷ Netty |\n")
          .append("|---|---:|---:|---:|---:|---:|\n");
      Point request = new Point("REQUEST", point.codec(), point.connections());
      for (String c : List.of("TETHER", "TETHER_POOL", "TETHER_LOOP", "NETTY", "RAW")) {
        latencyRow(point, c, Palette.of(c).label());
      }
      for (String c : TETHERS) {
        if (results.has(request.of(c))) {
          latencyRow(request, c, Palette.of(c).label() + ", `request()`");
        }
      }
      md.append('\n');
    }
    for (Point point : results.points("PLAIN_ROUND_TRIP")) {
      md.append("### Two JVMs: round trip from one plain client, `")
          .append(point.codec())
          .append("`\n\n")
          .append("The same round trips, but every server is measured with the same client: one")
          .append(" blocking socket that writes each server's own frames (Tether's protocol, from")
          .append(
              " its handshake on, written from `PROTOCOL.md` rather than with Tether's classes;")
          .append(" Netty's length-prefixed frames; raw frames) and reads the echo, as an outside")
          .append(" load generator measures servers. Only the servers differ here; the table above")
          .append(" also compares the client libraries. Ratios as above.\n\n")
          .append("| server | p50 µs | p90 µs | p99 µs | p50 ÷ raw | p50 ÷ Netty |\n")
          .append("|---|---:|---:|---:|---:|---:|\n");
      for (String c : List.of("TETHER", "NETTY", "RAW")) {
        latencyRow(point, c, Palette.of(c).label() + " server, plain client");
      }
      md.append('\n');
    }
  }

  private void latencyRow(Point point, String contender, String label) {
    Key key = point.of(contender);
    if (!results.has(key)) {
      return;
    }
    md.append("| ").append(label);
    for (String p : List.of("p50", "p90", "p99")) {
      md.append(" | ").append(results.spread(key, p).format(Format::micros));
    }
    md.append(" | ")
        .append(contender.equals("RAW") ? "–" : ratio(key, point.baseline("RAW"), "p50", label))
        .append(" | ")
        .append(
            contender.startsWith("TETHER")
                ? ratio(key, point.baseline("NETTY"), "p50", label)
                : "–")
        .append(" |\n");
  }

  private void throughput(String workload, String heading) {
    List<Point> points = results.points(workload);
    if (points.isEmpty()) {
      return;
    }
    md.append(heading)
        .append(" Ratios: msg/s ÷ the same round's, higher is faster.\n\n")
        .append("| codec | conns | contender | msg/s | ÷ raw | ÷ Netty |\n")
        .append("|---|---:|---|---:|---:|---:|\n");
    Set<Integer> rawShown = new HashSet<>();
    for (Point point : points) {
      for (String c : List.of("TETHER", "TETHER_POOL", "TETHER_LOOP", "NETTY")) {
        Key key = point.of(c);
        if (!results.has(key)) {
          continue;
        }
        String label =
            String.format(
                Locale.ROOT,
                "%s %s ×%d %s",
                workloadLabel(workload),
                point.codec(),
                point.connections(),
                Palette.of(c).label());
        md.append("| ")
            .append(point.codec())
            .append(" | ")
            .append(point.connections())
            .append(" | ")
            .append(Palette.of(c).label())
            .append(" | ")
            .append(results.spread(key, "rate").format(Format::count))
            .append(" | ")
            .append(ratio(key, point.of("RAW"), "rate", label))
            .append(" | ")
            .append(c.equals("NETTY") ? "–" : ratio(key, point.of("NETTY"), "rate", label))
            .append(" |\n");
      }
      Key raw = point.of("RAW");
      if (results.has(raw) && rawShown.add(point.connections())) {
        md.append("| – | ")
            .append(point.connections())
            .append(" | raw | ")
            .append(results.spread(raw, "rate").format(Format::count))
            .append(" | – | – |\n");
      }
    }
    md.append('\n');
  }

  /**
   * Where each contender's CPU time goes, per message, in the throughput measurements that recorded
   * thread statistics: what tells why a ratio is what it is.
   */
  private void cpuPerMessage() {
    List<String> rows = new ArrayList<>();
    for (String workload : List.of("ONE_WAY", "ECHO", "PLAIN_ECHO")) {
      Set<Integer> rawShown = new HashSet<>();
      for (Point point : results.points(workload)) {
        List<String> contenders = new ArrayList<>(TETHERS);
        contenders.add("NETTY");
        if (rawShown.add(point.connections())) {
          contenders.add("RAW");
        }
        for (String c : contenders) {
          Key key = point.of(c);
          String server = cpuCell(key, "server");
          String client = cpuCell(key, "client");
          if (server.equals("–") && client.equals("–")) {
            continue;
          }
          rows.add(
              String.format(
                  Locale.ROOT,
                  "| %s | %s | %d | %s | %s | %s |\n",
                  workloadLabel(workload),
                  c.equals("RAW") ? "–" : point.codec(),
                  point.connections(),
                  Palette.of(c).label(),
                  server,
                  client));
        }
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    md.append("### Two JVMs: CPU per message, by thread\n\n")
        .append("Nanoseconds of CPU time (user and system, from `/proc`, in 10 ms ticks) that")
        .append(" each kind of thread spent per message during the measurement, median over the")
        .append(" rounds, the busiest first and the total after `=`; threads of a kind are added")
        .append(" up (`tether-loop` is every event loop), `GC` is the collector's, the JIT's are")
        .append(" left out. The load generator reads both JVMs' threads as its measurement opens")
        .append(" and closes, and both ends' figures are per message it counted: sent (one-way),")
        .append(" echoed or answered. A thread at 100% of a core bounds the rate at")
        .append(" 10⁹ ÷ its figure.\n\n")
        .append("| workload | codec | conns | contender | server ns/msg | client ns/msg |\n")
        .append("|---|---|---:|---|---|---|\n");
    rows.forEach(md::append);
    md.append('\n');
  }

  private static String workloadLabel(String workload) {
    return switch (workload) {
      case "ECHO" -> "echo";
      case "PLAIN_ECHO" -> "echo, plain client";
      default -> "one-way";
    };
  }

  /** The thread groups of one side as {@code tether-loop 48, GC 1.2 = 49}; a dash if none. */
  private String cpuCell(Key key, String side) {
    if (!results.has(key)) {
      return "–";
    }
    List<String> parts = new ArrayList<>();
    double total = 0;
    for (Map.Entry<String, Double> group : results.cpuMedians(key, side).entrySet()) {
      double ns = group.getValue();
      total += ns;
      if (ns >= 0.5) {
        parts.add(group.getKey() + " " + nanos(ns));
      }
    }
    return parts.isEmpty() ? "–" : String.join(", ", parts) + " = " + nanos(total);
  }

  private static String nanos(double ns) {
    return String.format(Locale.ROOT, ns < 10 ? "%.1f" : "%.0f", ns);
  }

  /** Formats a per-round ratio and records whether it stayed within the target. */
  private String ratio(Key a, Key b, String metric, String label) {
    Spread spread = results.ratio(a, b, metric);
    String what =
        label + (b.contender().equals("RAW") ? " ÷ raw" : " ÷ Netty") + " (" + metric + ")";
    if (!spread.isEmpty()) {
      ratios.add(new Ratio(a, b, metric, what, spread));
    }
    if (spread.n() > 1 && spread.deviation() > TARGET) {
      outside.add(String.format(Locale.ROOT, "%s: ±%.0f%%", what, 100 * spread.deviation()));
    }
    return spread.formatRatio();
  }

  private void repeatability(int rounds) {
    md.append("### Two JVMs: repeatability\n\n");
    long checked = ratios.stream().filter(r -> r.spread.n() > 1).count();
    if (rounds < 2) {
      md.append("One round only: no spread to judge. Run more rounds (`--rounds`) for that.\n\n");
      return;
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%d rounds × 1 fork per contender and point. Of %d ratios, %d stayed within ±%.0f%%"
                + " of their median in every round. ",
            rounds,
            checked,
            checked - outside.size(),
            100 * TARGET));
    if (outside.isEmpty()) {
      md.append(
          "Two runs of these settings on this machine should therefore agree within ±15%.\n\n");
    } else {
      md.append(
              "**On this machine the run could not give ±15%** for the others; do not read"
                  + " differences smaller than their spread into them:\n\n")
          .append(String.join("\n", outside.stream().map(s -> "- " + s).toList()))
          .append("\n\n");
    }
  }

  /**
   * Compares each ratio's median with the same ratio's median in the earlier run: the test
   * of repeatability is two runs that agree within ±15% on every ratio.
   */
  private void comparison() {
    if (earlier == null) {
      return;
    }
    md.append("### Two JVMs: against an earlier run\n\n")
        .append("Each ratio's median over this run's rounds against the same ratio's median in ")
        .append(earlierName)
        .append(String.format(Locale.ROOT, " (%d rounds). ", earlier.rounds().size()));
    List<String> rows = new ArrayList<>();
    int compared = 0;
    int within = 0;
    for (Ratio r : ratios) {
      double now = r.spread.median();
      double then = earlier.ratio(r.a, r.b, r.metric).median();
      if (Double.isNaN(now) || Double.isNaN(then)) {
        continue;
      }
      compared++;
      double change = now / then - 1;
      boolean agrees = Math.abs(change) <= TARGET;
      if (agrees) {
        within++;
      }
      rows.add(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %+.0f%%%s |",
              r.what,
              Format.ratio(then),
              Format.ratio(now),
              100 * change,
              agrees ? "" : " **outside**"));
    }
    if (compared == 0) {
      md.append("The two runs have no ratio in common.\n\n");
      return;
    }
    md.append(
            String.format(
                Locale.ROOT,
                "**%d of %d ratios agree within ±%.0f%%.**\n\n",
                within,
                compared,
                100 * TARGET))
        .append("| ratio | earlier | this run | change |\n|---|---:|---:|---:|\n")
        .append(String.join("\n", rows))
        .append("\n\n");
  }

  private void unsettled() {
    List<TwoJvmResults.Sample> unsettled = results.unsettled();
    if (unsettled.isEmpty()) {
      return;
    }
    md.append(
            "These measurements reached the maximum warm-up while their figure was still"
                + " improving, so they may be below steady state (on a busy machine the JIT gets"
                + " little CPU); a longer `--max-warmup-ms` would tell:\n\n")
        .append(
            String.join(
                "\n",
                unsettled.stream()
                    .map(
                        s ->
                            String.format(
                                Locale.ROOT,
                                "- round %d, %s %s ×%d, %s",
                                s.round() + 1,
                                s.key().workload(),
                                s.key().codec(),
                                s.key().connections(),
                                Palette.of(s.key().contender()).label()))
                    .toList()))
        .append("\n\n");
  }

  private void failures() {
    List<TwoJvmResults.Sample> failed = results.failures();
    if (failed.isEmpty()) {
      return;
    }
    md.append("### Two JVMs: failed measurements\n\n")
        .append("These are left out of every figure above.\n\n");
    for (TwoJvmResults.Sample s : failed) {
      Key k = s.key();
      md.append(
          String.format(
              Locale.ROOT,
              "- round %d, %s %s ×%d, %s: %s%n",
              s.round() + 1,
              k.workload(),
              k.codec(),
              k.connections(),
              Palette.of(k.contender()).label(),
              s.failure()));
    }
    md.append('\n');
  }
}
