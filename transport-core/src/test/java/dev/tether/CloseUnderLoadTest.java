package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lossless close of PROTOCOL.md §9 under load: round after round, a client sends 10,000
 * messages and 1,000 requests mixed, then calls {@code close()} at once, while the receiver's
 * handlers stall at random (so its inbound queue fills and TCP pushes back during the close). Every
 * message must reach the handler in order and every request be answered, in every round. CI runs 10
 * rounds; {@code -Dtether.close=full} runs 100. ({@link GracefulCloseTest} checks the same promise
 * in smaller, targeted cases.)
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class CloseUnderLoadTest {
  private static final boolean FULL = "full".equals(System.getProperty("tether.close"));
  private static final int ROUNDS = FULL ? 100 : 10;
  private static final int MESSAGES = 10_000;
  private static final int REQUESTS = 1_000;

  /** What the server's handler saw of one connection: messages counted, and order broken. */
  private static final class Seen {
    final AtomicLong messages = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final List<String> disorder = new ArrayList<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
  }

  @Test
  void everyMessageAndRequestSentBeforeCloseArrivesInOrderEveryRound() throws Exception {
    Map<Connection<?, ?>, Seen> seen = new ConcurrentHashMap<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onConnection(c -> seen.put(c, new Seen()))
            .onMessage(
                (c, m) -> {
                  stallAtRandom();
                  Seen s = seen.get(c);
                  long expected = s.messages.getAndIncrement();
                  if (((Msg) m).seq() != expected) {
                    s.disorder.add(
                        "message " + ((Msg) m).seq() + " where " + expected + " was due");
                  }
                })
            .onRequest(
                (c, m) -> {
                  stallAtRandom();
                  Seen s = seen.get(c);
                  long expected = s.requests.getAndIncrement();
                  if (((Msg) m).seq() != expected) {
                    s.disorder.add(
                        "request " + ((Msg) m).seq() + " where " + expected + " was due");
                  }
                  return m;
                })
            .onClose((c, cause) -> seen.get(c).closed.complete(null))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      long start = System.nanoTime();
      for (int round = 0; round < ROUNDS; round++) {
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (int i = 0, r = 0; i < MESSAGES; i++) {
          client.send(new Msg("m", i));
          if (i % (MESSAGES / REQUESTS) == 0) {
            answers.add(client.request(new Msg("r", r++)));
          }
        }

        client.close(); // throws unless the close was graceful: all written, the peer done

        ConnectionClosedException cause = client.onClose().toCompletableFuture().get();
        assertThat(cause.isGraceful()).as("round %d: %s", round, cause.getMessage()).isTrue();
        assertThat(cause.messagesNotSent()).as("round %d", round).isZero();
        for (int r = 0; r < REQUESTS; r++) {
          assertThat(answers.get(r).get(20, TimeUnit.SECONDS))
              .as("round %d, request %d", round, r)
              .isEqualTo(new Msg("r", r));
        }
        Seen s = serverSide(seen, server, round);
        s.closed.get(20, TimeUnit.SECONDS);
        assertThat(s.disorder).as("round %d: out of order", round).isEmpty();
        assertThat(s.messages.get()).as("round %d: messages handled", round).isEqualTo(MESSAGES);
        assertThat(s.requests.get()).as("round %d: requests handled", round).isEqualTo(REQUESTS);
        seen.clear();
      }
      System.out.printf(
          "close under load: %d rounds of %,d messages and %,d requests, each closed at once, in %,d"
              + " ms; nothing lost%n",
          ROUNDS, MESSAGES, REQUESTS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
  }

  /** The server's record of the round's only connection. */
  private static Seen serverSide(Map<Connection<?, ?>, Seen> seen, Server<?, ?> server, int round) {
    assertThat(seen).as("round %d: connections the server saw", round).hasSize(1);
    return seen.values().iterator().next();
  }

  /** The receiver's handler stalls now and then: about one call in a hundred, for up to 2 ms. */
  private static void stallAtRandom() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (random.nextInt(100) == 0) {
      LockSupport.parkNanos(random.nextLong(TimeUnit.MILLISECONDS.toNanos(2)));
    }
  }
}
