package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thread's {@code sendAsync} and the sends it makes after it reach the wire in that order
 * ("Messages are delivered in the order they were sent"), even when the {@code sendAsync} message
 * had to wait for room and the later send is one that never waits within twice the bound: a
 * handler's send to another connection, a send from the event loop, a handler's answer written on
 * the loop.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SendOrderTest {
  private static final int BOUND = 16 * 1024;

  /** About 1 KB a message: five rounds of two stay within twice the bound beyond the bound. */
  private static final String TEXT = "x".repeat(1000);

  private static final int ROUNDS = 5;

  private final Resources resources = new Resources();

  @AfterEach
  void closeResources() {
    resources.close();
  }

  /** The server's configuration: the bound, no heartbeats to write behind it, {@code handlers}. */
  private static TetherConfig serverConfig(Handlers handlers) {
    return handlers
        .place
        .apply(
            TetherConfig.builder()
                .codecs("test")
                .maxQueuedOutboundBytes(BOUND)
                .heartbeatInterval(Duration.ZERO)
                .idleTimeout(Duration.ZERO))
        .build();
  }

  /** Where the server runs its handlers: those that never wait within twice the bound. */
  enum Handlers {
    /** On a thread the loop hands on if it blocks: sends in HANDLER mode. */
    DEFAULT(b -> b),
    /** On the loop: sends in LOOP mode, answers written as the transport's (FORCE). */
    ON_LOOP(TetherConfig.Builder::handlersOnEventLoop);

    final UnaryOperator<TetherConfig.Builder> place;

    Handlers(UnaryOperator<TetherConfig.Builder> place) {
      this.place = place;
    }
  }

  /** How the relaying handler sends the second message of a round. */
  enum Then {
    SEND {
      @Override
      void send(Connection<Object, Object> to, Msg message) {
        to.send(message);
      }
    },
    SEND_ALL {
      @Override
      void send(Connection<Object, Object> to, Msg message) {
        to.sendAll(List.of(message));
      }
    },
    REQUEST {
      @Override
      void send(Connection<Object, Object> to, Msg message) {
        to.request(message, Duration.ofSeconds(50));
      }
    };

    abstract void send(Connection<Object, Object> to, Msg message);
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void aHandlerThatRelaysToAConnectionOverItsBoundSendsAsyncThenSendsInThatOrder(Handlers handlers)
      throws Exception {
    Map<Then, List<Long>> received = new EnumMap<>(Then.class);
    AtomicInteger waited = new AtomicInteger();
    for (Then then : Then.values()) {
      received.put(then, relay(handlers, then, waited));
    }
    assertThat(waited)
        .as("sendAsync calls whose message waited for room: what the test is about")
        .hasPositiveValue();
    // the relayed messages as B received them: sendAsync sent the even ones, then the odd ones
    List<Long> sent = List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    assertThat(received)
        .as("handlers %s", handlers)
        .allSatisfy((then, seen) -> assertThat(seen).as("then %s", then).isEqualTo(sent));
  }

  /**
   * A handler of connection A fills connection B's queue past its bound (B's client does not read:
   * its handler waits), then, five times, {@code b.sendAsync(x)} (which waits for room) and {@code
   * then.send(b, y)}. B's client, let go, must see every x before the y after it. Counts in {@code
   * waited} the x that had to wait.
   */
  private List<Long> relay(Handlers handlers, Then then, AtomicInteger waited) throws Exception {
    AtomicReference<Connection<Object, Object>> b = new AtomicReference<>();
    CompletableFuture<String> relayed = new CompletableFuture<>();
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .config(serverConfig(handlers))
                .onConnection(c -> b.compareAndSet(null, c))
                .onMessage(
                    (a, m) -> {
                      Connection<Object, Object> to = b.get();
                      try {
                        int fillers = 0;
                        while (to.isWritable() && fillers < 100_000) {
                          to.send(new Blob(fillers++, new byte[1000]));
                        }
                        if (to.isWritable()) {
                          relayed.complete("B's queue never reached its bound");
                          return;
                        }
                        for (int i = 0; i < ROUNDS; i++) {
                          if (!to.sendAsync(new Msg(TEXT, 2L * i)).toCompletableFuture().isDone()) {
                            waited.incrementAndGet();
                          }
                          then.send(to, new Msg(TEXT, 2L * i + 1));
                        }
                        relayed.complete(null);
                      } catch (RuntimeException e) {
                        relayed.completeExceptionally(e);
                      }
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    CompletableFuture<Void> letGo = new CompletableFuture<>();
    List<Long> seen = new ArrayList<>();
    Connection<Object, Object> clientB =
        resources.track(
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").maxQueuedInboundMessages(8).build())
                .onMessage(
                    (c, m) -> {
                      letGo.join(); // B reads nothing more once 8 messages wait for this
                      if (m instanceof Msg msg) {
                        record(seen, msg.seq());
                      }
                    })
                .onRequest(
                    (c, m) -> {
                      letGo.join();
                      record(seen, ((Msg) m).seq());
                      return m;
                    })
                .connect(server.address()));
    await().atMost(Duration.ofSeconds(10)).until(() -> b.get() != null);
    Connection<Object, Object> clientA =
        resources.track(
            Tether.client(TestTypes.TYPES).config(TestTypes.QUIET).connect(server.address()));

    try {
      clientA.send(new Msg("relay", 0));
      assertThat(relayed.get(30, TimeUnit.SECONDS))
          .as("handlers %s, then %s", handlers, then)
          .isNull();
    } finally {
      letGo.complete(null);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> sizeOf(seen) == 2 * ROUNDS);
    clientA.close();
    clientB.close();
    server.close();
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  /** What the request handler does after its {@code sendAsync}. */
  enum Answer {
    RETURNS,
    THROWS
  }

  @ParameterizedTest(name = "handlers {0}")
  @EnumSource(Handlers.class)
  void aRequestHandlersSendAsyncReachesTheWireBeforeItsAnswer(Handlers handlers) throws Exception {
    Map<Answer, List<String>> seen = new EnumMap<>(Answer.class);
    AtomicInteger waited = new AtomicInteger();
    for (Answer answer : Answer.values()) {
      seen.put(answer, answerAfterSendAsync(handlers, answer, waited));
    }
    assertThat(waited)
        .as("sendAsync calls whose message waited for room: what the test is about")
        .hasPositiveValue();
    assertThat(seen)
        .as("handlers %s: what came first", handlers)
        .allSatisfy(
            (answer, order) ->
                assertThat(order).as("the handler %s", answer).containsExactly("x", "RESPONSE"));
  }

  /**
   * A request handler fills its own connection's queue past its bound (the raw client reads nothing
   * until the handler is done), calls {@code sendAsync(x)}, which waits for room, and answers, or
   * throws: x must come before the RESPONSE. Counts in {@code waited} whether x had to wait.
   */
  private List<String> answerAfterSendAsync(Handlers handlers, Answer answer, AtomicInteger waited)
      throws Exception {
    CompletableFuture<String> handled = new CompletableFuture<>();
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .config(serverConfig(handlers))
                .onRequest(
                    (c, m) -> {
                      int fillers = 0;
                      while (c.isWritable() && fillers < 100_000) {
                        c.send(new Blob(fillers++, new byte[1000]));
                      }
                      if (c.isWritable()) {
                        handled.complete("the queue never reached its bound");
                      } else {
                        if (!c.sendAsync(new Msg(TEXT, 77)).toCompletableFuture().isDone()) {
                          waited.incrementAndGet();
                        }
                        handled.complete(null);
                      }
                      if (answer == Answer.THROWS) {
                        throw new IllegalStateException("the handler fails after its sendAsync");
                      }
                      return new Msg("answer", 1);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    List<String> seen = new ArrayList<>();
    try (RawPeer peer = RawPeer.connect(server.address(), 8192)) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      peer.writeRequest(1, 1, msg("question", 1));
      assertThat(handled.get(30, TimeUnit.SECONDS)).isNull();

      // read until both the answer and x came: which came first?
      boolean answered = false;
      boolean xCame = false;
      while (!answered || !xCame) {
        RawPeer.Frame frame = peer.readFrameSkippingControl();
        if (frame.type() == RawPeer.RESPONSE) {
          answered = true;
          seen.add("RESPONSE");
        } else if (frame.type() == RawPeer.DATA && frame.body()[0] == 1) { // a Msg: x
          xCame = true;
          seen.add("x");
        }
      }
    }
    server.close(); // after the peer's socket: a server's close would wait for it to say goodbye
    return seen;
  }

  private static void record(List<Long> seen, long seq) {
    synchronized (seen) {
      seen.add(seq);
    }
  }

  private static int sizeOf(List<Long> list) {
    synchronized (list) {
      return list.size();
    }
  }

  /** The {@code test} codec's encoding of a {@link Msg}: u64 seq, u32 length, UTF-8 text. */
  private static byte[] msg(String text, long seq) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(12 + utf8.length).putLong(seq).putInt(utf8.length).put(utf8).array();
  }
}
