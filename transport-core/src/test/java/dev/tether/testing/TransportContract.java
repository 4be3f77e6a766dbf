package dev.tether.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.ClientBuilder;
import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.GoAwayCode;
import dev.tether.MessageTooLargeException;
import dev.tether.RequestErrorCode;
import dev.tether.RequestFailedException;
import dev.tether.SendResult;
import dev.tether.Server;
import dev.tether.ServerBuilder;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.TetherTimeoutException;
import dev.tether.TlsConfig;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The transport's end-to-end behaviour over real sockets, for one codec and every {@link
 * Transport}. Each codec module runs it unchanged by extending it and naming its codec.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TransportContract {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final List<AutoCloseable> resources = new ArrayList<>();

  /** Returns the codec under test, e.g. {@code json}. */
  protected abstract String codec();

  protected TetherConfig config() {
    return TetherConfig.builder().codecs(codec()).build();
  }

  /** Where handlers run in a test: on the handler pool (the default) or on the event loop. */
  public enum Handlers {
    POOL,
    LOOP
  }

  /**
   * One way of running the contract: a socket kind, with or without TLS, and where handlers run.
   */
  public record Setup(Transport transport, Handlers handlers, boolean tls) {
    SocketAddress bindAddress() {
      return transport.bindAddress();
    }

    @Override
    public String toString() {
      return transport + (tls ? " with TLS" : "") + ", handlers on " + handlers;
    }
  }

  /** Every transport without TLS, and TCP with TLS, each with handlers on the pool and the loop. */
  static Stream<Setup> setups() {
    Stream<Setup> plain =
        Stream.of(Transport.values())
            .flatMap(t -> Stream.of(Handlers.values()).map(h -> new Setup(t, h, false)));
    Stream<Setup> tls = Stream.of(Handlers.values()).map(h -> new Setup(Transport.TCP, h, true));
    return Stream.concat(plain, tls);
  }

  /** TLS for the setups that use it: a server certificate from the test CA, and that CA trusted. */
  private static final class Tls {
    static final TlsConfig SERVER = TestPki.shared().serverTls().build();
    static final TlsConfig CLIENT = TestPki.shared().clientTls().build();
  }

  /** A server builder for the setup: TLS if it uses TLS; the caller adds config and handlers. */
  private static ServerBuilder<Object, Object> serverBuilder(Setup setup) {
    ServerBuilder<Object, Object> builder = Tether.server(TestTypes.TYPES);
    return setup.tls() ? builder.tls(Tls.SERVER) : builder;
  }

  /** A client builder for the setup: TLS if it uses TLS. */
  private static ClientBuilder<Object, Object> clientBuilder(Setup setup) {
    ClientBuilder<Object, Object> builder = Tether.client(TestTypes.TYPES);
    return setup.tls() ? builder.tls(Tls.CLIENT) : builder;
  }

  /** The codec's configuration with handlers where the setup puts them. */
  protected TetherConfig config(Setup setup) {
    TetherConfig.Builder builder = config().toBuilder();
    return (setup.handlers() == Handlers.LOOP ? builder.handlersOnEventLoop() : builder).build();
  }

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private Server<Object, Object> echoServer(Setup setup) {
    return track(
        serverBuilder(setup)
            .config(config(setup))
            .onMessage((c, m) -> c.send(m))
            .onRequest(
                (c, m) -> {
                  if (m instanceof Msg msg && msg.text().startsWith("fail:")) {
                    throw new IllegalStateException(msg.text().substring(5));
                  }
                  return m;
                })
            .bind(setup.bindAddress()));
  }

  private Connection<Object, Object> client(Setup setup, Server<?, ?> server) {
    return track(clientBuilder(setup).config(config(setup)).connect(server.address()));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void sentMessageIsEchoedBackWithTheNegotiatedCodec(Setup setup) throws Exception {
    Server<Object, Object> server = echoServer(setup);
    Connection<Object, Object> client = client(setup, server);

    client.send(new Msg("héllo 𝄞", 42));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("héllo 𝄞", 42));
    assertThat(client.peer().codec()).isEqualTo(codec());
    assertThat(client.peer().appProtocol()).isEqualTo("tether-test");
  }

  @ParameterizedTest
  @MethodSource("setups")
  void requestGetsItsResponseAndHandlerFailureComesBackAsError(Setup setup) throws Exception {
    Server<Object, Object> server = echoServer(setup);
    Connection<Object, Object> client = client(setup, server);

    Object response = client.request(new Msg("question", 7)).get(20, TimeUnit.SECONDS);
    CompletableFuture<Object> failed = client.request(new Msg("fail:disk on fire", 8));

    assertThat(response).isEqualTo(new Msg("question", 7));
    assertThatThrownBy(() -> failed.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            RequestFailedException.class,
            e -> {
              assertThat(e.code()).isEqualTo(RequestErrorCode.HANDLER_FAILED);
              assertThat(e.remoteMessage()).contains("disk on fire");
            });
    assertThat(client.request(new Msg("still up", 9)).get(20, TimeUnit.SECONDS))
        .isEqualTo(new Msg("still up", 9));
  }

  @ParameterizedTest
  @MethodSource("setups")
  void manyConcurrentRequestsAreEachAnsweredWithTheirOwnResponse(Setup setup) throws Exception {
    Server<Object, Object> server =
        track(
            serverBuilder(setup)
                .config(config(setup))
                .onRequestAsync(
                    (c, m) ->
                        CompletableFuture.supplyAsync(
                            () -> new Msg("re:" + ((Msg) m).text(), ((Msg) m).seq())))
                .bind(setup.bindAddress()));
    Connection<Object, Object> client = client(setup, server);

    List<CompletableFuture<Object>> futures = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      futures.add(client.request(new Msg("q" + i, i)));
    }

    for (int i = 0; i < 1000; i++) {
      assertThat(futures.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("re:q" + i, i));
    }
  }

  @ParameterizedTest
  @MethodSource("setups")
  void requestWithoutAnswerTimesOutAndOutstandingRequestsFailOnClose(Setup setup) throws Exception {
    // the server never answers, so its close waits out the drain deadline: keep that short
    TetherConfig quickDrain =
        config(setup).toBuilder().drainTimeout(Duration.ofMillis(300)).build();
    Server<Object, Object> server =
        track(
            serverBuilder(setup)
                .config(quickDrain)
                .onRequestAsync((c, m) -> new CompletableFuture<>())
                .bind(setup.bindAddress()));
    Connection<Object, Object> client =
        track(clientBuilder(setup).config(quickDrain).connect(server.address()));

    CompletableFuture<Object> timesOut = client.request(new Msg("a", 1), Duration.ofMillis(200));
    CompletableFuture<Object> failsOnClose = client.request(new Msg("b", 2));
    assertThatThrownBy(() -> timesOut.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("200 ms");
    // the server never answers b, so its side of the close cannot finish before the drain deadline
    client.closeAsync();

    assertThatThrownBy(() -> failsOnClose.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ConnectionClosedException.class);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void metricsCountEveryMessageOnBothSidesWhicheverWayItWasSent(Setup setup) throws Exception {
    Server<Object, Object> server = echoServer(setup);
    Connection<Object, Object> client = client(setup, server);
    int sends = 2_000; // a burst: some written at once, most queued behind them
    int asyncSends = 300;
    int trySends = 300;
    int requests = 200;

    List<CompletableFuture<Void>> accepted = new ArrayList<>();
    for (int i = 0; i < sends; i++) {
      client.send(new Msg("send", i));
    }
    for (int i = 0; i < asyncSends; i++) {
      accepted.add(client.sendAsync(new Msg("async", i)).toCompletableFuture());
    }
    int tried = 0;
    while (tried < trySends) {
      if (client.trySend(new Msg("try", tried)) == SendResult.ACCEPTED) {
        tried++;
      }
    }
    List<CompletableFuture<Object>> responses = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      responses.add(client.request(new Msg("request", i)));
    }
    int messages = sends + asyncSends + trySends;
    for (int i = 0; i < messages; i++) {
      assertThat(client.receive(WAIT)).as("echo %d", i).isNotNull();
    }
    for (CompletableFuture<?> f : accepted) {
      f.get(20, TimeUnit.SECONDS);
    }
    for (CompletableFuture<?> f : responses) {
      f.get(20, TimeUnit.SECONDS);
    }

    Connection<Object, Object> serverSide = server.connections().get(0);
    long each = messages + requests; // every message and request; every echo and response back
    assertThat(client.metrics().messagesSent()).as("client sent").isEqualTo(each);
    assertThat(client.metrics().messagesReceived()).as("client received").isEqualTo(each);
    await().atMost(WAIT).until(() -> serverSide.metrics().messagesSent() == each);
    assertThat(serverSide.metrics().messagesReceived()).as("server received").isEqualTo(each);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void everyMessageSentBeforeCloseArrivesInOrder(Setup setup) throws Exception {
    int count = 100_000;
    AtomicLong expected = new AtomicLong();
    AtomicReference<String> disorder = new AtomicReference<>();
    AtomicReference<ConnectionClosedException> serverSawClose = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            serverBuilder(setup)
                .config(config(setup))
                .onMessage(
                    (c, m) -> {
                      long seq = ((Msg) m).seq();
                      if (seq != expected.get() && disorder.get() == null) {
                        disorder.set("expected " + expected.get() + " but got " + seq);
                      }
                      expected.set(seq + 1);
                    })
                .onClose((c, cause) -> serverSawClose.set(cause))
                .bind(setup.bindAddress()));
    Connection<Object, Object> client =
        clientBuilder(setup).config(config(setup)).connect(server.address());

    for (int i = 0; i < count; i++) {
      client.send(new Msg("m", i));
    }
    client.close();

    ConnectionClosedException clientCause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(clientCause.code()).isEqualTo(GoAwayCode.NORMAL);
    await().atMost(WAIT).until(() -> serverSawClose.get() != null);
    assertThat(expected.get()).isEqualTo(count);
    assertThat(disorder.get()).isNull();
    assertThat(serverSawClose.get().code()).isEqualTo(GoAwayCode.NORMAL);
    assertThat(serverSawClose.get().isRemote()).isTrue();
  }

  @ParameterizedTest
  @MethodSource("setups")
  void slowConsumerBlocksTheProducerWithBoundedQueuesAndLosesNothing(Setup setup) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    TetherConfig small =
        config(setup).toBuilder()
            .maxQueuedOutboundBytes(256 * 1024)
            .maxQueuedInboundMessages(64)
            .sendTimeout(Duration.ofMillis(200))
            .build();
    // this handler blocks to play a stalled consumer, so it runs on the pool whatever the setup;
    // the client side runs where the setup says
    Server<Object, Object> server =
        track(
            serverBuilder(setup)
                .config(small.toBuilder().handlerExecutor(null).build())
                .onMessage(
                    (c, m) -> {
                      release.await();
                      received.incrementAndGet();
                    })
                .bind(setup.bindAddress()));
    Connection<Object, Object> client =
        track(clientBuilder(setup).config(small).connect(server.address()));
    byte[] payload = new byte[1024];

    long heapBefore = usedHeapAfterGc();

    long accepted = 0;
    int refused = 0;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    while (System.nanoTime() < deadline) {
      if (client.trySend(new Blob(accepted, payload)) == SendResult.ACCEPTED) {
        accepted++;
        continue;
      }
      refused++;
      try {
        client.send(new Blob(accepted, payload), Duration.ofMillis(50));
        accepted++;
      } catch (TetherTimeoutException expected) {
        assertThat(expected).hasMessageContaining("outbound queue stayed full");
      }
    }

    assertThat(usedHeapAfterGc() - heapBefore)
        .as("heap growth while flooding a stalled consumer")
        .isLessThan(64L * 1024 * 1024);
    assertThat(refused).as("the producer must be pushed back").isPositive();
    assertThat(client.metrics().queuedOutboundBytes()).isLessThanOrEqualTo(256 * 1024);
    Connection<Object, Object> serverSide = server.connections().get(0);
    // the loop stops reading at 64 queued messages; one socket read of 64 KiB may overshoot
    assertThat(serverSide.metrics().queuedInboundMessages()).isLessThanOrEqualTo(64 + 64);
    assertThat(client.isOpen()).isTrue();

    release.countDown();
    long total = accepted;
    await().atMost(WAIT).until(() -> received.get() == total);
  }

  private static long usedHeapAfterGc() {
    return Heap.usedAfterGc();
  }

  @ParameterizedTest
  @MethodSource("setups")
  void messageLargerThanThePeerAcceptsIsRefusedLocallyAndTheConnectionStaysUp(Setup setup)
      throws Exception {
    Server<Object, Object> server =
        track(
            serverBuilder(setup)
                .config(config(setup).toBuilder().maxFrameBytes(64 * 1024).build())
                .onMessage((c, m) -> c.send(m))
                .bind(setup.bindAddress()));
    Connection<Object, Object> client = client(setup, server);

    assertThatThrownBy(() -> client.send(new Blob(1, new byte[100 * 1024])))
        .isInstanceOf(MessageTooLargeException.class)
        .hasMessageContaining("65536");
    client.send(new Blob(2, new byte[10]));

    Object echoed = client.receive(WAIT);
    assertThat(echoed).isInstanceOf(Blob.class);
    assertThat(((Blob) echoed).seq()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void largeMessagesArriveIntact(Setup setup) throws Exception {
    Server<Object, Object> server = echoServer(setup);
    Connection<Object, Object> client = client(setup, server);
    byte[] data = new byte[4 * 1024 * 1024];
    new java.util.Random(1).nextBytes(data);

    client.send(new Blob(5, data));

    Blob echoed = (Blob) client.receive(WAIT);
    assertThat(echoed.seq()).isEqualTo(5);
    assertThat(echoed.data()).isEqualTo(data);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void heartbeatsMeasureRoundTripTime(Setup setup) throws Exception {
    TetherConfig fast = config(setup).toBuilder().heartbeatInterval(Duration.ofMillis(50)).build();
    Server<Object, Object> server =
        track(serverBuilder(setup).config(fast).bind(setup.bindAddress()));
    Connection<Object, Object> client =
        track(clientBuilder(setup).config(fast).connect(server.address()));

    await().atMost(WAIT).until(() -> server.connections().size() == 1);
    Connection<Object, Object> serverSide = server.connections().get(0);

    // both sides ping and measure, even though each also answers the other's PINGs
    await().atMost(WAIT).until(() -> client.metrics().pings() >= 2);
    await().atMost(WAIT).until(() -> serverSide.metrics().pings() >= 2);
    assertThat(client.metrics().rtt()).isPositive();
    assertThat(serverSide.metrics().rtt()).isPositive();
  }

  @ParameterizedTest
  @MethodSource("setups")
  void serverCloseTellsClientsShuttingDownAfterDeliveringWhatWasSent(Setup setup) throws Exception {
    Server<Object, Object> server =
        serverBuilder(setup)
            .config(config(setup))
            .onConnection(c -> c.send(new Msg("welcome", 1)))
            .bind(setup.bindAddress());
    Connection<Object, Object> client = client(setup, server);
    assertThat(client.receive(WAIT)).isEqualTo(new Msg("welcome", 1));

    server.close();

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(cause.isRemote()).isTrue();
    assertThatThrownBy(() -> client.send(new Msg("late", 2)))
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("SHUTTING_DOWN");
    assertThat(server.connections()).isEmpty();
  }
}
