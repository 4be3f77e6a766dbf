package dev.tether.examples;

import dev.tether.Connection;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherException;
import dev.tether.codec.CodecProvider;
import dev.tether.codec.EncodeBuffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The demo's second part: the same short, fixed workload run over every codec asked for, so that a
 * new user can see what each costs. Both ends run in this JVM over loopback TCP or a Unix domain
 * socket: the figures compare codecs with each other on this machine, they are not a benchmark of
 * the transport (the {@code bench} module is).
 *
 * <p>Per codec: a one-way stream for the measured time (messages sent as fast as {@code send}
 * allows, counted once the server's handler has them all), then request/response one at a time for
 * the measured time (each round trip timed); each after a warm-up of a quarter of that time, and
 * the first codec once more before all, unmeasured, to warm up the transport itself. The {@code
 * bytes} codec, which carries a {@code byte[]} as is, runs with a payload of the same size: the
 * transport's own ceiling.
 */
final class CodecComparison {
  /**
   * What to measure.
   *
   * @param duration measured time per codec and workload
   * @param payloadBytes the size of each message's payload
   * @param codecs the codecs to measure, in table order
   * @param uds true for a Unix domain socket, false for loopback TCP
   */
  record Options(Duration duration, int payloadBytes, List<String> codecs, boolean uds) {
    Duration warmUp() {
      return duration.dividedBy(4);
    }

    /** Returns roughly how long the whole run takes, for the progress bar. */
    Duration total() {
      return duration.plus(warmUp()).multipliedBy(2L * (codecs.size() + 1));
    }
  }

  /** The registry the record codecs are measured with. */
  static final MessageTypes TYPES =
      MessageTypes.builder("tether-demo").register(1, "demo.Sample", Sample.class).build();

  /** The registry of the {@code bytes} codec: a {@code byte[]} per message. */
  static final MessageTypes BYTES_TYPES =
      MessageTypes.builder("tether-demo-bytes").register(1, "demo.Bytes", byte[].class).build();

  /** What each known codec can carry, for the table. */
  private static final Map<String, String> CARRIES =
      Map.of(
          "bytes", "byte[] only: you serialise",
          "json", "records, beans, collections; any language",
          "cbor", "as json, binary; any language",
          "kryo", "records, beans, JDK types; Java only",
          "fury", "records, beans, most JDK types; Java only");

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  private CodecComparison() {}

  /** Returns the codecs on the class path the demo can measure: {@code bytes} first. */
  static List<String> availableCodecs() {
    List<String> codecs = new ArrayList<>();
    if (Tether.availableCodecs(BYTES_TYPES).contains("bytes")) {
      codecs.add("bytes");
    }
    codecs.addAll(Tether.availableCodecs(TYPES));
    return codecs;
  }

  /**
   * Measures every codec of {@code options}; {@code progress} follows along. The first codec is run
   * once unmeasured before all the others, so that it does not pay alone for warming up the
   * transport's code.
   */
  static List<CodecResult> run(Options options, Progress progress) throws InterruptedException {
    List<CodecResult> results = new ArrayList<>();
    List<String> order = new ArrayList<>();
    order.add(options.codecs().get(0));
    order.addAll(options.codecs());
    for (int i = 0; i < order.size(); i++) {
      String codec = order.get(i);
      boolean raw = codec.equals("bytes");
      MessageTypes types = raw ? BYTES_TYPES : TYPES;
      byte[] payload = new byte[options.payloadBytes()];
      Arrays.fill(payload, (byte) 'x');
      LongFunction<Object> messages =
          raw
              ? seq -> payload
              : seq -> new Sample(seq, System.nanoTime(), "sensor-7", seq * 0.5, payload);
      CodecResult result = measure(codec, types, messages, options, progress);
      if (i > 0) {
        results.add(result);
      }
    }
    return results;
  }

  private static CodecResult measure(
      String codec,
      MessageTypes types,
      LongFunction<Object> messages,
      Options options,
      Progress progress)
      throws InterruptedException {
    AtomicLong received = new AtomicLong();
    SocketAddress address = options.uds() ? udsAddress() : new InetSocketAddress("127.0.0.1", 0);
    try (Server<Object, Object> server =
            Tether.server(types)
                .codecs(codec)
                .onMessage((c, m) -> received.incrementAndGet())
                .onRequest((c, m) -> m)
                .bind(address);
        Connection<Object, Object> client =
            Tether.client(types)
                .config(TetherConfig.builder().codecs(codec).requestTimeout(STEP_TIMEOUT).build())
                .connect(server.address())) {
      progress.phase(codec + " one-way");
      stream(client, received, messages, options.warmUp(), progress);
      long bytesBefore = client.metrics().bytesSent();
      long start = System.nanoTime();
      long sent = stream(client, received, messages, options.duration(), progress);
      double seconds = (System.nanoTime() - start) / 1e9;
      long bytes = client.metrics().bytesSent() - bytesBefore;

      progress.phase(codec + " round trips");
      roundTrips(client, messages, options.warmUp(), progress);
      long[] rtt = roundTrips(client, messages, options.duration(), progress);
      return new CodecResult(
          codec,
          sent / seconds,
          bytes / seconds / 1e6,
          percentile(rtt, 0.50) / 1e3,
          percentile(rtt, 0.99) / 1e3,
          encodedBytes(codec, types, messages.apply(0)),
          CARRIES.getOrDefault(codec, "see the codec's documentation"));
    } finally {
      if (address instanceof UnixDomainSocketAddress uds) {
        deleteQuietly(uds.getPath().getParent());
      }
    }
  }

  /**
   * Sends messages as fast as {@code send} takes them for {@code time}, then waits until the server
   * has handled all of them; returns how many were sent.
   */
  private static long stream(
      Connection<Object, Object> client,
      AtomicLong received,
      LongFunction<Object> messages,
      Duration time,
      Progress progress)
      throws InterruptedException {
    received.set(0);
    long start = System.nanoTime();
    long end = start + time.toNanos();
    long sent = 0;
    for (long now = start; now < end; now = System.nanoTime()) {
      for (int i = 0; i < 64; i++) {
        client.send(messages.apply(sent++));
      }
      progress.advanceTo(now);
    }
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (received.get() < sent) {
      if (System.nanoTime() > deadline) {
        throw new TetherException(
            "the server handled " + received.get() + " of " + sent + " messages in time");
      }
      TimeUnit.MILLISECONDS.sleep(1);
    }
    return sent;
  }

  /** Makes one request at a time for {@code time}; returns each round trip in nanoseconds. */
  private static long[] roundTrips(
      Connection<Object, Object> client,
      LongFunction<Object> messages,
      Duration time,
      Progress progress) {
    long[] rtt = new long[1 << 14];
    int count = 0;
    long end = System.nanoTime() + time.toNanos();
    for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
      client.request(messages.apply(count)).join();
      long took = System.nanoTime() - now;
      if (count == rtt.length) {
        rtt = Arrays.copyOf(rtt, count * 2);
      }
      rtt[count++] = took;
      progress.advanceTo(now);
    }
    return Arrays.copyOf(rtt, count);
  }

  private static double percentile(long[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
  }

  /** The size of one message as the codec encodes it, frame not included. */
  private static int encodedBytes(String codec, MessageTypes types, Object message) {
    for (CodecProvider provider : ServiceLoader.load(CodecProvider.class)) {
      if (provider.name().equals(codec)) {
        EncodeBuffer buffer = new EncodeBuffer(256);
        provider.create(types).encode(message, buffer);
        return buffer.position();
      }
    }
    return -1;
  }

  private static SocketAddress udsAddress() {
    try {
      return UnixDomainSocketAddress.of(
          Files.createTempDirectory("tether-demo").resolve("demo.sock"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve("demo.sock"));
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a temporary directory left behind; nothing to report to the user
    }
  }
}
