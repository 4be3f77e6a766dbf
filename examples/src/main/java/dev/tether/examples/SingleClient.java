package dev.tether.examples;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.MessageTypes;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code single-client} example: a write-ahead-log receiver that serves one sender at a time.
 * When a sender restarts while its old connection still looks alive (a half-open socket, a paused
 * process), the new one takes over at once: the server closes the old connection with GOAWAY
 * REPLACED, and the old sender learns why. The new sender asks where to resume and goes on.
 */
final class SingleClient {
  static final Set<String> FLAGS = Set.of("records", "codecs");

  /** One log record, numbered by its log sequence number. */
  record Append(long lsn, String data) {}

  /** Asks the receiver how far the log has reached. */
  record WhereAreYou(long senderNode) {}

  /** The last log sequence number received. */
  record Position(long lsn) {}

  static final MessageTypes TYPES =
      MessageTypes.builder("wal")
          .register(1, "wal.Append", Append.class)
          .register(2, "wal.WhereAreYou", WhereAreYou.class)
          .register(3, "wal.Position", Position.class)
          .build();

  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

  private SingleClient() {}

  /** Starts the receiver: one sender at a time, records applied in order. */
  static Server<Object, Object> receiver(AtomicLong lastLsn, List<String> codecs) {
    return Tether.server(TYPES)
        .config(TetherConfig.builder().codecs(codecs).build())
        .singleClient()
        .onMessage(
            Append.class,
            (sender, append) -> {
              if (append.lsn() == lastLsn.get() + 1) { // a replaced sender's stale records
                lastLsn.set(append.lsn()); // would arrive out of order: ignore those
              }
            })
        .onRequest(WhereAreYou.class, (sender, ask) -> new Position(lastLsn.get()))
        .bind(new InetSocketAddress("127.0.0.1", 0));
  }

  private static Connection<Object, Object> sender(
      Server<Object, Object> receiver, long nodeId, List<String> codecs) {
    return Tether.client(TYPES)
        .config(TetherConfig.builder().codecs(codecs).nodeId(nodeId).build())
        .connect(receiver.address());
  }

  static int run(Args args, PrintStream out, PrintStream err) throws Exception {
    int records = args.integer("records", 100, 1, 10_000_000);
    List<String> codecs = Main.codecs(args, TYPES);
    AtomicLong lastLsn = new AtomicLong();
    try (Server<Object, Object> receiver = receiver(lastLsn, codecs)) {
      out.println("receiver " + EchoServer.hostPort(receiver.address()) + ", one sender at a time");

      Connection<Object, Object> first = sender(receiver, 1, codecs);
      long resumeAt = stream(first, 1, records);
      awaitPosition(first, resumeAt - 1);
      out.println("sender 1 streamed records 1.." + (resumeAt - 1) + " and is still connected");

      Connection<Object, Object> second = sender(receiver, 2, codecs);
      ConnectionClosedException cause =
          first.onClose().toCompletableFuture().get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (cause.code() != GoAwayCode.REPLACED) {
        throw new IllegalStateException("sender 1 closed for another reason: " + cause);
      }
      out.println("sender 1 was replaced: " + cause.getMessage());

      long position =
          second
              .request(new WhereAreYou(0), Position.class)
              .get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
              .lsn();
      long end = stream(second, position + 1, records);
      awaitPosition(second, end - 1);
      out.println(
          "sender 2 resumed at record "
              + (position + 1)
              + " and streamed up to "
              + (end - 1)
              + "; the receiver holds records 1.."
              + lastLsn.get());
      second.close();
    }
    return 0;
  }

  /** Streams {@code count} records from {@code firstLsn}; returns the next lsn. */
  private static long stream(Connection<Object, Object> sender, long firstLsn, int count) {
    long lsn = firstLsn;
    for (int i = 0; i < count; i++, lsn++) {
      sender.send(new Append(lsn, "record " + lsn));
    }
    return lsn;
  }

  /** Waits until the receiver reports {@code lsn}: the records are applied, not just sent. */
  private static void awaitPosition(Connection<Object, Object> sender, long lsn) throws Exception {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (sender.request(new WhereAreYou(0), Position.class).get(10, TimeUnit.SECONDS).lsn()
        < lsn) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the receiver did not reach record " + lsn + " in time");
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }
}
