package dev.tether.bench.report;

import dev.tether.bench.support.BenchMessages;
import dev.tether.bench.support.Codecs;
import dev.tether.codec.EncodeBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one-JVM part of {@code summary.md}, from JMH's JSON: one-way throughput and round trips with
 * both ends in the benchmark's JVM, the codecs next to their libraries, and allocation per message.
 */
final class OneJvmSection {
  private final Results results;
  private final StringBuilder md;

  OneJvmSection(Results results, StringBuilder md) {
    this.results = results;
    this.md = md;
  }

  void write() {
    if (results.isEmpty()) {
      return;
    }
    md.append("## One JVM (JMH)\n\n")
        .append("Both ends in the benchmark's JVM, sharing its cores, JIT and heap: ")
        .append(results.runSettings())
        .append(". Every ratio compares figures taken in this one run; `±` is JMH's 99.9% error.")
        .append(" Read these for the codecs and allocation; for what users deploy, two processes,")
        .append(" read the two-JVM figures.\n\n");
    throughput();
    resumption();
    tls();
    latency();
    codecs();
    allocation();
  }

  private void throughput() {
    List<Result> tether = results.of("TetherThroughput.oneWay");
    if (tether.isEmpty()) {
      return;
    }
    md.append("### One JVM: one-way throughput over loopback TCP\n\n")
        .append("Messages per second, pipelined; MB/s is messages/s × body size. *raw* is plain")
        .append(" socket channels moving pre-encoded frames (the physical limit); Netty uses the")
        .append(" same codec.\n\n")
        .append("| codec | conns | body | Tether msg/s | Tether MB/s | raw msg/s | Netty msg/s |")
        .append(" Tether / raw | Tether / Netty |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      String conns = t.param("connections");
      String size = t.param("size");
      Optional<Result> raw =
          results.find(
              "RawThroughput.oneWay",
              Results.with("connections", conns).and(Results.with("size", size)));
      Optional<Result> netty =
          results.find(
              "NettyThroughput.oneWay",
              Results.with("codec", t.param("codec"))
                  .and(Results.with("connections", conns))
                  .and(Results.with("size", size)));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %.1f | %s | %s | %s | %s |%n",
              t.param("codec"),
              conns,
              size,
              withError(t),
              t.score() * Integer.parseInt(size) / 1e6,
              raw.map(r -> count(r.score())).orElse("–"),
              netty.map(r -> count(r.score())).orElse("–"),
              raw.map(r -> ratio(t.score(), r.score())).orElse("–"),
              netty.map(r -> ratio(t.score(), r.score())).orElse("–")));
    }
    md.append('\n');
  }

  /** Plain against resumable connections, from {@code ResumableThroughput}, when it ran. */
  private void resumption() {
    List<Result> resumable =
        results.of("ResumableThroughput.oneWay", Results.with("session", "resumable"));
    if (resumable.isEmpty()) {
      return;
    }
    md.append("### One JVM: what session resumption costs\n\n")
        .append("One-way messages per second on one connection, plain and resumable (a client")
        .append(" with `reconnect(ReconnectPolicy.defaults())`: every message is kept for replay")
        .append(" until the peer's ACK releases it). Nothing fails during the run.\n\n")
        .append("| codec | body | plain msg/s | resumable msg/s | resumable / plain |\n")
        .append("|---|---:|---:|---:|---:|\n");
    for (Result r : resumable) {
      Optional<Result> plain =
          results.find(
              "ResumableThroughput.oneWay",
              Results.with("codec", r.param("codec"))
                  .and(Results.with("size", r.param("size")))
                  .and(Results.with("session", "plain")));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s |%n",
              r.param("codec"),
              r.param("size"),
              plain.map(OneJvmSection::withError).orElse("–"),
              withError(r),
              plain.map(p -> ratio(r.score(), p.score())).orElse("–")));
    }
    md.append('\n');
  }

  /** Tether and Netty with and without TLS, from {@code TlsThroughput} and {@code TlsLatency}. */
  private void tls() {
    List<Result> tetherTls =
        results.of("TlsThroughput.oneWay", Results.with("transport", "tether-tls"));
    if (tetherTls.isEmpty()) {
      return;
    }
    md.append("### One JVM: TLS\n\n")
        .append("One-way `byte[]` messages per second on one connection, TLS 1.3 with the JDK's")
        .append(" provider on every side; Netty with its `SslHandler`.\n\n")
        .append("| body | Tether | Tether TLS | Netty | Netty TLS | Tether TLS / Tether |")
        .append(" Tether TLS / Netty TLS |\n")
        .append("|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result t : tetherTls) {
      String size = t.param("size");
      Optional<Result> plain = tlsPeer("tether", size);
      Optional<Result> netty = tlsPeer("netty", size);
      Optional<Result> nettyTls = tlsPeer("netty-tls", size);
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s |%n",
              size,
              plain.map(r -> count(r.score())).orElse("–"),
              withError(t),
              netty.map(r -> count(r.score())).orElse("–"),
              nettyTls.map(r -> count(r.score())).orElse("–"),
              plain.map(r -> ratio(t.score(), r.score())).orElse("–"),
              nettyTls.map(r -> ratio(t.score(), r.score())).orElse("–")));
    }
    List<Result> latency = results.of("TlsLatency.roundTrip");
    if (!latency.isEmpty()) {
      md.append("\nRound trip p50 (µs), 64 B, one at a time:");
      for (Result r : latency) {
        md.append(
            String.format(Locale.ROOT, " %s %.1f;", r.param("transport"), r.percentile("50.0")));
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private Optional<Result> tlsPeer(String transport, String size) {
    return results.find(
        "TlsThroughput.oneWay",
        Results.with("transport", transport).and(Results.with("size", size)));
  }

  private void latency() {
    List<Result> tether = results.of("TetherLatency.roundTrip");
    if (tether.isEmpty()) {
      return;
    }
    Optional<Result> raw = results.find("RawLatency.roundTrip", r -> true);
    md.append("### One JVM: request/response round trip over loopback TCP\n\n")
        .append("Microseconds, one request at a time, 64-byte body. *handlers*: `default` runs")
        .append(" them on the event loop until one blocks (response futures on the handler pool),")
        .append(" `loop` always on the event loop (`handlersOnEventLoop()`), as Netty does.")
        .append(
            raw.map(
                    r ->
                        String.format(
                            Locale.ROOT,
                            " Raw limit (blocking sockets, echo thread): p50 %.1f, p90 %.1f, p99 %.1f, p99.9 %.1f.",
                            r.percentile("50.0"),
                            r.percentile("90.0"),
                            r.percentile("99.0"),
                            r.percentile("99.9")))
                .orElse(""))
        .append("\n\n| codec | handlers | p50 | p90 | p99 | p99.9 | Netty p50 | Netty p99 |")
        .append(" p50 Tether / raw | p50 Tether / Netty |\n")
        .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      Optional<Result> netty =
          results.find("NettyLatency.roundTrip", Results.with("codec", t.param("codec")));
      double p50 = t.percentile("50.0");
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s |%n",
              t.param("codec"),
              t.param("handlers"),
              p50,
              t.percentile("90.0"),
              t.percentile("99.0"),
              t.percentile("99.9"),
              netty.map(n -> String.format(Locale.ROOT, "%.1f", n.percentile("50.0"))).orElse("–"),
              netty.map(n -> String.format(Locale.ROOT, "%.1f", n.percentile("99.0"))).orElse("–"),
              raw.map(r -> ratio(p50, r.percentile("50.0"))).orElse("–"),
              netty.map(n -> ratio(p50, n.percentile("50.0"))).orElse("–")));
    }
    md.append('\n');
  }

  private void codecs() {
    List<Result> tether = new ArrayList<>();
    for (String op : List.of("encode", "decode", "roundTrip")) {
      tether.addAll(results.of("CodecBenchmark." + op));
    }
    if (tether.isEmpty()) {
      return;
    }
    md.append("### One JVM: codecs\n\n")
        .append("Nanoseconds per operation. *library* is the same library called directly, as a")
        .append(" user would without Tether (Jackson `writeValueAsBytes`/`readValue`, Kryo")
        .append(" `writeObject`/`readObject`, Fory `serialize`/`deserialize`); the overhead column")
        .append(" is Tether / library. Encoded size is Tether's payload, without framing.\n\n")
        .append("| codec | message | op | Tether ns | library ns | Tether / library |")
        .append(" encoded bytes |\n")
        .append("|---|---|---|---:|---:|---:|---:|\n");
    for (Result t : tether) {
      String op = t.benchmark().substring(t.benchmark().indexOf('.') + 1);
      Optional<Result> library =
          results.find(
              "LibraryBenchmark." + op,
              Results.with("codec", t.param("codec"))
                  .and(Results.with("message", t.param("message"))));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s |%n",
              t.param("codec"),
              t.param("message"),
              op,
              withError(t),
              library.map(l -> String.format(Locale.ROOT, "%.0f", l.score())).orElse("–"),
              library.map(l -> ratio(t.score(), l.score())).orElse("–"),
              encodedSize(t.param("codec"), t.param("message"))));
    }
    md.append('\n');
  }

  private void allocation() {
    oneWayAllocation();
    requestAllocation();
  }

  private void oneWayAllocation() {
    List<Result> measured = withAllocation("TetherThroughput.oneWay");
    if (measured.isEmpty()) {
      return;
    }
    md.append("### One JVM: allocation on the steady one-way path\n\n")
        .append("`gc.alloc.rate.norm` from `-prof gc`: bytes allocated per message, sender and")
        .append(" receiver together (both ends run in the benchmark JVM), codec included.\n\n")
        .append("| codec | conns | body | bytes / message |\n|---|---:|---:|---:|\n");
    for (Result r : measured) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %.1f |%n",
              r.param("codec"),
              r.param("connections"),
              r.param("size"),
              r.allocBytesPerOp()));
    }
    md.append('\n');
  }

  private void requestAllocation() {
    List<Result> measured = withAllocation("TetherLatency.roundTrip");
    if (measured.isEmpty()) {
      return;
    }
    md.append("### One JVM: allocation per request\n\n")
        .append("`gc.alloc.rate.norm` of `request(message).get()` with a 64-byte body: bytes")
        .append(" allocated per round trip, both ends together, codec included. Beyond the codec,")
        .append(" a request costs the decoded request and response, the returned future, its")
        .append(" timeout's timer entry and the request's place in the server's queue.\n\n")
        .append("| codec | handlers | bytes / request |\n|---|---|---:|\n");
    for (Result r : measured) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.1f |%n",
              r.param("codec"),
              r.param("handlers"),
              r.allocBytesPerOp()));
    }
    md.append('\n');
  }

  /** The results of {@code benchmark} that carry {@code -prof gc}'s bytes per operation. */
  private List<Result> withAllocation(String benchmark) {
    return results.of(benchmark).stream().filter(r -> !Double.isNaN(r.allocBytesPerOp())).toList();
  }

  private static String encodedSize(String codec, String message) {
    try {
      EncodeBuffer buffer = new EncodeBuffer(1024);
      Codecs.create(codec, BenchMessages.TYPES).encode(BenchMessages.sample(message), buffer);
      return Integer.toString(buffer.position());
    } catch (RuntimeException e) {
      return "–";
    }
  }

  private static String withError(Result r) {
    String score = count(r.score());
    return Double.isNaN(r.error()) ? score : score + " ± " + count(r.error());
  }

  private static String count(double value) {
    return Format.count(value);
  }

  private static String ratio(double a, double b) {
    return Format.ratio(a, b);
  }
}
