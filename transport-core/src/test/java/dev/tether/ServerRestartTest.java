package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.internal.engine.EncodedFrames;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.InOrder;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.Resources;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A reconnecting client follows a planned server restart: the server's graceful shutdown (GOAWAY
 * SHUTTING_DOWN) confirms everything the client wrote before it, the client reconnects instead of
 * closing, and a new session begins with the server that comes back on the same address, carrying
 * what was sent meanwhile; nothing is lost or delivered twice.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerRestartTest {
  private final Resources resources = new Resources();

  @AfterEach
  void closeResources() {
    resources.close();
  }

  private <T extends AutoCloseable> T track(T resource) {
    return resources.track(resource);
  }

  /** What a client's {@link ReconnectListener} was told. */
  private static class Heard implements ReconnectListener<Object, Object> {
    final AtomicReference<ConnectionClosedException> disconnected = new AtomicReference<>();
    final AtomicLong lostCount = new AtomicLong(-1);
    final AtomicReference<ConnectionClosedException> lostCause = new AtomicReference<>();
    final AtomicReference<TetherException> gaveUp = new AtomicReference<>();

    @Override
    public void onDisconnected(Connection<Object, Object> c, ConnectionClosedException cause) {
      disconnected.set(cause);
    }

    @Override
    public void onSessionLost(
        Connection<Object, Object> c, long messagesMaybeLost, ConnectionClosedException cause) {
      lostCause.set(cause);
      lostCount.set(messagesMaybeLost);
    }

    @Override
    public void onGaveUp(Connection<Object, Object> c, TetherException cause) {
      gaveUp.set(cause);
    }
  }

  /** A server that checks the order of the messages it receives and echoes requests. */
  private static Server<Object, Object> inOrderServer(InOrder got, InetSocketAddress address) {
    return inOrderServer(got, address, false);
  }

  private static Server<Object, Object> inOrderServer(
      InOrder got, InetSocketAddress address, boolean tls) {
    ServerBuilder<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> got.accept(((Msg) m).seq()))
            .onRequest((c, m) -> m);
    if (tls) {
      server.tls(TestPki.shared().serverTls().build());
    }
    return server.bind(address);
  }

  @ParameterizedTest(name = "resume sessions: {0}, TLS: {1}")
  @CsvSource({"true, false", "false, false", "true, true"})
  void aGracefulRestartIsFollowedByANewSessionAndLosesNothing(boolean resume, boolean tls)
      throws Exception {
    InOrder got = new InOrder();
    Server<Object, Object> first = inOrderServer(got, new InetSocketAddress("127.0.0.1", 0), tls);
    InetSocketAddress address = (InetSocketAddress) first.address();
    Heard heard = new Heard();
    ClientBuilder<Object, Object> builder = Tether.client(TestTypes.TYPES);
    if (tls) {
      builder.tls(TestPki.shared().clientTls().build());
    }
    Connection<Object, Object> client =
        track(
            builder
                .codecs("test")
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(5), Duration.ofMillis(100))
                        .resume(resume)
                        .build())
                .onReconnect(heard)
                .connect(address));
    for (int i = 0; i < 1000; i++) {
      client.send(new Msg("before", i));
    }

    first.close(); // graceful: returns once every connection has closed
    assertThat(got.count()).as("all sent before the shutdown reached the server").isEqualTo(1000);
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.disconnected.get() != null);
    assertThat(heard.disconnected.get().code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(client.isOpen()).as("reconnecting, not closed").isTrue();
    assertThat(client.onClose().toCompletableFuture()).isNotDone();

    for (int i = 1000; i < 1100; i++) {
      assertThat(client.trySend(new Msg("meanwhile", i))).isEqualTo(SendResult.ACCEPTED);
    }
    CompletableFuture<Object> answer = client.request(new Msg("asked meanwhile", 7));
    Server<Object, Object> second = track(inOrderServer(got, address, tls));

    await().atMost(Duration.ofSeconds(20)).until(() -> got.count() == 1100);
    assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("asked meanwhile", 7));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.lostCount.get() >= 0);
    assertThat(heard.lostCount.get()).as("a new session, nothing lost").isZero();
    assertThat(heard.lostCause.get().reason()).contains("shut down gracefully");
    client.send(new Msg("after", 1100));
    await().atMost(Duration.ofSeconds(10)).until(() -> got.count() == 1101);
    assertThat(got.problem()).isNull();
    assertThat(second.connections()).hasSize(1);
    assertThat(heard.gaveUp.get()).isNull();

    client.close(); // throws unless graceful
  }

  @Test
  void theSessionStartedAfterARestartResumesThroughALaterReset() throws Exception {
    InOrder got = new InOrder();
    Server<Object, Object> first = inOrderServer(got, new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    FaultProxy proxy = track(new FaultProxy(address));
    AtomicInteger resumed = new AtomicInteger();
    Heard heard =
        new Heard() {
          @Override
          public void onResumed(Connection<Object, Object> c, int attempts) {
            resumed.incrementAndGet();
          }
        };
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(ResumptionTest.FAST)
                .onReconnect(heard)
                .connect(proxy.address()));
    client.send(new Msg("first server", 0));
    await().atMost(Duration.ofSeconds(10)).until(() -> got.count() == 1);
    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.disconnected.get() != null);
    Server<Object, Object> second = track(inOrderServer(got, address));
    client.send(new Msg("second server", 1));
    await().atMost(Duration.ofSeconds(20)).until(() -> got.count() == 2);
    assertThat(heard.lostCount.get()).isZero();

    proxy.resetAll(); // the new session is resumable, as the first was
    for (int i = 2; i < 100; i++) {
      client.send(new Msg("through the reset", i));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> got.count() == 100);
    assertThat(got.problem()).isNull();
    assertThat(resumed.get()).isEqualTo(1);
    assertThat(second.connections()).as("one session on the second server").hasSize(1);
  }

  /**
   * Requests streaming, 100 in flight, through a planned restart: each is answered, by the first
   * server or the second, or fails at once saying that the server shut down (it crossed the GOAWAY,
   * or was sent while the client answered it); none is left waiting.
   */
  /** Accepts the next client on {@code listener} and welcomes it, as a server written by hand. */
  private static RawPeer welcomeNext(ServerSocket listener) throws IOException {
    RawPeer peer = RawPeer.accepted(listener.accept());
    peer.readPreamble();
    assertThat(peer.readFrame().type()).isEqualTo(RawPeer.HELLO);
    peer.write(RawPeer.preambleAndWelcome(TestTypes.TYPES, "test"));
    return peer;
  }

  /** Shuts down as a server does: GOAWAY(SHUTTING_DOWN), the client's GOAWAY, then its EOF. */
  private static void shutDown(RawPeer server) throws IOException {
    server.writeGoAway(GoAwayCode.SHUTTING_DOWN.code(), "the server is shutting down");
    assertThat(server.readFrameSkippingControl().type())
        .as("the client's answer")
        .isEqualTo(RawPeer.GOAWAY);
    server.assertEndOfStream();
  }

  /**
   * A server that shuts down answers every request it processed before its GOAWAY; those it had not
   * processed (here: none, a raw server that reads three and shuts down) are asked again of the
   * server that comes back, with their futures, as gRPC retries what a GOAWAY refused.
   */
  @Test
  void requestsTheServerDidNotProcessBeforeItsShutdownAreAnsweredByTheOneThatComesBack()
      throws Exception {
    List<Object> secondGot = java.util.Collections.synchronizedList(new ArrayList<>());
    InetSocketAddress address;
    Connection<Object, Object> client;
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      address = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .reconnect(ResumptionTest.FAST)
              .connectAsync(address);
      try (RawPeer first = welcomeNext(listener)) {
        client = track(connecting.get(20, TimeUnit.SECONDS));
        for (int i = 0; i < 3; i++) {
          answers.add(client.request(new Msg("q", i)));
        }
        for (int i = 0; i < 3; i++) {
          assertThat(first.readFrameSkippingControl().type()).isEqualTo(RawPeer.REQUEST);
        }
        shutDown(first);
      }
    }
    assertThat(answers).noneMatch(CompletableFuture::isDone);

    track(
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest(
                (c, m) -> {
                  secondGot.add(m);
                  return m;
                })
            .bind(address));
    for (int i = 0; i < 3; i++) {
      assertThat(answers.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("q", i));
    }
    assertThat(secondGot).containsExactly(new Msg("q", 0), new Msg("q", 1), new Msg("q", 2));
    assertThat(client.request(new Msg("later", 3)).get(20, TimeUnit.SECONDS))
        .isEqualTo(new Msg("later", 3));
  }

  /**
   * A request the application gave up on (cancelled, or completed itself) before the shutdown is
   * not asked again of the server that comes back; it once was, since it stayed outstanding until
   * its timeout.
   */
  @Test
  void requestsGivenUpOnBeforeAShutdownAreNotAskedAgain() throws Exception {
    List<Object> secondGot = java.util.Collections.synchronizedList(new ArrayList<>());
    InetSocketAddress address;
    Connection<Object, Object> client;
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      address = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .reconnect(ResumptionTest.FAST)
              .connectAsync(address);
      try (RawPeer first = welcomeNext(listener)) {
        client = track(connecting.get(20, TimeUnit.SECONDS));
        for (int i = 0; i < 3; i++) {
          answers.add(client.request(new Msg("q", i)));
        }
        for (int i = 0; i < 3; i++) {
          assertThat(first.readFrameSkippingControl().type()).isEqualTo(RawPeer.REQUEST);
        }
        answers.get(0).cancel(false);
        answers.get(2).complete(new Msg("mine", 2));
        shutDown(first);
      }
    }

    track(
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest(
                (c, m) -> {
                  secondGot.add(m);
                  return m;
                })
            .bind(address));
    assertThat(answers.get(1).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("q", 1));
    assertThat(client.request(new Msg("later", 3)).get(20, TimeUnit.SECONDS))
        .isEqualTo(new Msg("later", 3));
    assertThat(secondGot).containsExactly(new Msg("q", 1), new Msg("later", 3));
  }

  /**
   * Requests asked again after a shutdown are queued within the outbound bound as any send made on
   * the event loop is (twice the bound); a server that held many unanswered before its GOAWAY
   * cannot make the client queue them all, and those that do not fit fail saying so.
   */
  @Test
  void requestsAskedAgainAfterAShutdownStayWithinTheOutboundBound() throws Exception {
    int bound = 16 * 1024;
    AskedAgain asked = askAgainAfterAShutdown(TetherRuntime.shared(), bound, 64); // 4× the bound

    assertThat(asked.client().metrics().queuedOutboundBytes())
        .as(
            "bytes queued for the server that comes back, with %d unanswered requests of about 1"
                + " KiB asked again and an outbound bound of %d",
            asked.answers().size(), bound)
        .isLessThanOrEqualTo(2L * bound);
    asked.assertThoseNotKeptFailed("past twice its bound of " + bound);
    asked.assertThoseKeptAreAnsweredByTheServerThatComesBack(TetherRuntime.shared());
  }

  /**
   * Requests asked again also take the runtime's send memory past a connection's own allowance;
   * when that is taken, those that do not fit fail naming it, not only the session's end.
   */
  @Test
  void requestsAskedAgainWithoutSendMemoryFailNamingIt() throws Exception {
    TetherRuntime runtime =
        track(
            TetherRuntime.builder()
                .eventLoops(1)
                .threadNamePrefix("ask-again")
                .largeMessageSendMemory(64 * 1024)
                .build());
    // 256 of about 1 KiB each: past the 128 KiB a connection holds of its own, within its bound
    AskedAgain asked = askAgainAfterAShutdown(runtime, 16 * 1024 * 1024, 256);

    asked.assertThoseNotKeptFailed("largeMessageSendMemory");
    asked.assertThoseKeptAreAnsweredByTheServerThatComesBack(runtime);
  }

  /**
   * Has a client of {@code runtime}, with an outbound bound of {@code bound}, ask {@code count}
   * requests of about 1 KiB of a raw server that reads them, never answers, and shuts down; returns
   * once each is either queued again for the server that comes back or failed.
   */
  private AskedAgain askAgainAfterAShutdown(TetherRuntime runtime, int bound, int count)
      throws Exception {
    String text = "q".repeat(1000);
    InetSocketAddress address;
    Connection<Object, Object> client;
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      address = new InetSocketAddress("127.0.0.1", listener.getLocalPort());
      CompletableFuture<Connection<Object, Object>> connecting =
          Tether.client(TestTypes.TYPES)
              .runtime(runtime)
              .config(
                  TetherConfig.builder()
                      .codecs("test")
                      .maxQueuedOutboundBytes(bound)
                      .requestTimeout(Duration.ofSeconds(50))
                      .build())
              .reconnect(ResumptionTest.FAST)
              .connectAsync(address);
      try (RawPeer first = welcomeNext(listener)) {
        client = track(connecting.get(20, TimeUnit.SECONDS));
        for (int i = 0; i < count; i++) {
          answers.add(client.request(new Msg(text, i)));
          // read as they come, never answered
          assertThat(first.readFrameSkippingControl().type()).isEqualTo(RawPeer.REQUEST);
        }
        shutDown(first);
      }
    }
    long sentBefore = count;
    // each request is either queued again (counted as a message accepted) or failed at once
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client.metrics().messagesSent()
                        - sentBefore
                        + answers.stream().filter(CompletableFuture::isDone).count()
                    == count);
    return new AskedAgain(this, address, client, answers, text);
  }

  /** A client's requests, asked again after its server shut down: see askAgainAfterAShutdown. */
  private record AskedAgain(
      ServerRestartTest test,
      InetSocketAddress address,
      Connection<Object, Object> client,
      List<CompletableFuture<Object>> answers,
      String text) {

    /** Asserts that some did not fit, and that each of those failed saying why. */
    void assertThoseNotKeptFailed(String why) {
      List<CompletableFuture<Object>> failed =
          answers.stream().filter(CompletableFuture::isDone).toList();
      assertThat(failed).as("the requests that did not fit").isNotEmpty();
      for (CompletableFuture<Object> answer : failed) {
        assertThatThrownBy(answer::join)
            .hasCauseInstanceOf(ConnectionClosedException.class)
            .hasMessageContaining("could not be queued for the server that comes back")
            .hasMessageContaining(why);
      }
    }

    void assertThoseKeptAreAnsweredByTheServerThatComesBack(TetherRuntime runtime)
        throws Exception {
      test.track(
          Tether.server(TestTypes.TYPES)
              .runtime(runtime)
              .codecs("test")
              .onRequest((c, m) -> m)
              .bind(address));
      for (int i = 0; i < answers.size(); i++) {
        if (!answers.get(i).isDone()) {
          assertThat(answers.get(i).get(20, TimeUnit.SECONDS))
              .as("a request kept is answered by the server that comes back")
              .isEqualTo(new Msg(text, i));
        }
      }
    }
  }

  @Test
  void requestsInFlightThroughARestartAreAnsweredByOneServerOrTheOther() throws Exception {
    AtomicInteger answeredBySecond = new AtomicInteger();
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(ResumptionTest.FAST)
                .connect(address));
    CompletableFuture<Void> restart =
        CompletableFuture.runAsync(
            () -> {
              first.close();
              track(
                  Tether.server(TestTypes.TYPES)
                      .codecs("test")
                      .onRequest(
                          (c, m) -> {
                            answeredBySecond.incrementAndGet();
                            return m;
                          })
                      .bind(address));
            },
            CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
    Semaphore window = new Semaphore(100);
    List<CompletableFuture<Object>> requests = new ArrayList<>();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    AtomicInteger crossed = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    for (long seq = 0; !restart.isDone() || answeredBySecond.get() < 1000; seq++) {
      assertThat(window.tryAcquire(20, TimeUnit.SECONDS)).as("a request completed").isTrue();
      long expected = seq;
      CompletableFuture<Object> answer = client.request(new Msg("r", seq));
      answer.whenComplete(
          (response, failure) -> {
            window.release();
            String reason =
                failure instanceof ConnectionClosedException closed ? closed.reason() : "";
            if (failure == null && response.equals(new Msg("r", expected))) {
              return;
            } else if (reason.contains("before answering request #")) {
              crossed.incrementAndGet(); // in flight when the GOAWAY came: not asked again
            } else if (reason.contains("the server is shutting down; this connection reconnects")) {
              refused.incrementAndGet(); // sent while the client answered the GOAWAY
            } else {
              unexpected.compareAndSet(
                  null, failure != null ? failure : new AssertionError(response));
            }
          });
      requests.add(answer);
    }

    CompletableFuture.allOf(
            requests.stream()
                .map(r -> r.exceptionally(t -> null))
                .toArray(CompletableFuture[]::new))
        .get(20, TimeUnit.SECONDS);
    assertThat(unexpected.get()).isNull();
    System.out.printf(
        "requests through a restart: %d sent, %d in flight at the GOAWAY, %d refused while it was"
            + " answered, %d answered by the second server%n",
        requests.size(), crossed.get(), refused.get(), answeredBySecond.get());
    assertThat(crossed.get())
        .as("requests in flight at the GOAWAY, failed instead of asked again")
        .isZero();
  }

  /**
   * The server that comes back may announce another idle timeout: the client's heartbeat follows
   * it, or a client with nothing to send would be taken for dead by the new server, again and
   * again.
   */
  @Test
  void theHeartbeatFollowsTheIdleTimeoutOfTheServerThatComesBack() throws Exception {
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES).codecs("test").bind(new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    Heard heard = new Heard();
    AtomicInteger disconnects = new AtomicInteger();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(ResumptionTest.FAST)
                .onReconnect(
                    new Heard() {
                      @Override
                      public void onDisconnected(
                          Connection<Object, Object> c, ConnectionClosedException cause) {
                        disconnects.incrementAndGet();
                        heard.onDisconnected(c, cause);
                      }

                      @Override
                      public void onSessionLost(
                          Connection<Object, Object> c, long lost, ConnectionClosedException why) {
                        heard.onSessionLost(c, lost, why);
                      }
                    })
                .connect(address)); // heartbeat 2 s: the default, and a third of 6 s
    first.close();
    Server<Object, Object> second =
        track(
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .idleTimeout(Duration.ofMillis(900)) // wants a PING every 300 ms
                        .build())
                .bind(address));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.lostCount.get() == 0);

    // the client sends nothing: only its PINGs keep the new server from closing it
    await()
        .during(Duration.ofMillis(3000))
        .atMost(Duration.ofSeconds(5))
        .until(() -> disconnects.get() == 1 && second.connections().size() == 1);
    assertThat(client.isOpen()).isTrue();
  }

  /**
   * A reconnecting client whose message handler, on each message, counts {@code handling} down,
   * waits for {@code release} (still handling when a GOAWAY arrives) and then does {@code then}.
   */
  private Connection<Object, Object> holdingClient(
      SocketAddress address,
      Heard heard,
      CountDownLatch handling,
      CountDownLatch release,
      Consumer<Connection<Object, Object>> then) {
    return track(
        Tether.client(TestTypes.TYPES)
            .codecs("test")
            .reconnect(ResumptionTest.FAST)
            .onReconnect(heard)
            .onMessage(
                (c, m) -> {
                  handling.countDown();
                  release.await();
                  then.accept(c);
                })
            .connect(address));
  }

  /**
   * Sends the client a message that its handler holds on to ({@code handling} counts down when it
   * has it), then shuts {@code server} down in another thread, and returns that thread once the
   * client has read the GOAWAY: the client answers it only when its handler is done.
   */
  private static Thread shutDownWhileHandling(
      Server<Object, Object> server, Connection<Object, Object> client, CountDownLatch handling)
      throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
    server.connections().iterator().next().send(new Msg("hold", 0));
    assertThat(handling.await(10, TimeUnit.SECONDS)).isTrue();
    Thread shutdown = new Thread(server::close, "shutdown");
    shutdown.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> !client.isOpen());
    return shutdown;
  }

  @Test
  void sendsWhileTheShutdownIsAnsweredFailSayingTheConnectionComesBack() throws Exception {
    InOrder got = new InOrder();
    Server<Object, Object> first = inOrderServer(got, new InetSocketAddress("127.0.0.1", 0));
    InetSocketAddress address = (InetSocketAddress) first.address();
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<CompletableFuture<Object>> handlerRequest = new CompletableFuture<>();
    Heard heard = new Heard();
    Connection<Object, Object> client =
        holdingClient(
            address,
            heard,
            handling,
            release,
            // allowed, as work already started; this server will not answer it, the next will
            c -> handlerRequest.complete(c.request(new Msg("from the handler", 9))));
    client.send(new Msg("before", 0));
    await().atMost(Duration.ofSeconds(10)).until(() -> got.count() == 1);
    Thread shutdown = shutDownWhileHandling(first, client, handling);

    // the client answers the GOAWAY once its handler is done: until then sends are refused
    assertThatThrownBy(() -> client.send(new Msg("during", 1)))
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("the server is shutting down")
        .hasMessageContaining("reconnects");
    release.countDown();
    shutdown.join(10_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.disconnected.get() != null);
    assertThat(client.isOpen()).isTrue();
    CompletableFuture<Object> askedAgain = handlerRequest.get(5, TimeUnit.SECONDS);
    assertThat(askedAgain).as("waits for the server that comes back").isNotDone();

    client.send(new Msg("after", 1));
    track(inOrderServer(got, address));
    await().atMost(Duration.ofSeconds(20)).until(() -> got.count() == 2);
    assertThat(got.problem()).isNull();
    assertThat(askedAgain.get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("from the handler", 9));
  }

  @Test
  void aCloseWhileTheShutdownIsAnsweredEndsTheConnection() throws Exception {
    Server<Object, Object> first =
        inOrderServer(new InOrder(), new InetSocketAddress("127.0.0.1", 0));
    CountDownLatch handling = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Heard heard = new Heard();
    Connection<Object, Object> client =
        holdingClient(first.address(), heard, handling, release, c -> {});
    Thread shutdown = shutDownWhileHandling(first, client, handling);

    CompletableFuture<ConnectionClosedException> closed = client.closeAsync().toCompletableFuture();
    release.countDown();
    ConnectionClosedException cause = closed.get(10, TimeUnit.SECONDS);
    assertThat(cause.isGraceful()).as(cause.reason()).isTrue();
    assertThat(cause.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN);
    assertThat(heard.disconnected.get()).as("no reconnect after the application's close").isNull();
    shutdown.join(10_000);
  }

  @Test
  void aServerThatDoesNotComeBackEndsTheConnectionWhenThePolicyGivesUp() throws Exception {
    Server<Object, Object> first =
        inOrderServer(new InOrder(), new InetSocketAddress("127.0.0.1", 0));
    Heard heard = new Heard();
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(20), Duration.ofMillis(50))
                        .giveUpAfter(Duration.ofMillis(500))
                        .build())
                .onReconnect(heard)
                .connect(first.address()));
    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.disconnected.get() != null);
    for (int i = 0; i < 3; i++) {
      client.send(new Msg("never delivered", i));
    }

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertThat(heard.gaveUp.get()).isNotNull();
    assertThat(cause.reason())
        .contains("gave up reconnecting")
        .contains("3 accepted messages were never written");
    assertThat(client.isOpen()).isFalse();
  }

  /**
   * A reconnecting client, with {@code config}, of a server (codec {@code test}) that then shut
   * down: the client waits for a server to come back on {@link Connection#peer()}'s address. {@code
   * whileUp} runs while the first server is up.
   */
  private Connection<Object, Object> connectedThroughShutdown(
      Heard heard, TetherConfig config, Consumer<Connection<Object, Object>> whileUp) {
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES).codecs("test").bind(new InetSocketAddress("127.0.0.1", 0));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(config)
                .reconnect(ResumptionTest.FAST)
                .onReconnect(heard)
                .connect(first.address()));
    whileUp.accept(client);
    first.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.disconnected.get() != null);
    return client;
  }

  /** A server on {@code address} that keeps every message it receives, with {@code config}. */
  private Server<Object, Object> collectingServer(
      SocketAddress address, TetherConfig config, List<Object> got) {
    return track(
        Tether.server(TestTypes.TYPES)
            .config(config)
            .onMessage((c, m) -> got.add(m))
            .bind(address));
  }

  /**
   * The server that comes back may choose another of the client's codecs. What the client queued
   * meanwhile was encoded for the first server's codec and cannot go to it: it is dropped and
   * counted, as a lost session's would be, and requests among it fail saying why. What is sent from
   * then on is encoded with the new codec and arrives — a send that waited for room across the
   * change too.
   */
  @Test
  void aServerThatComesBackWithAnotherCodecGetsWhatIsSentFromThenOn() throws Exception {
    AtomicReference<Object> firstKey = new AtomicReference<>();
    AtomicReference<byte[]> firstFrame = new AtomicReference<>();
    Heard heard = new Heard();
    Connection<Object, Object> client =
        connectedThroughShutdown(
            heard,
            TetherConfig.builder()
                .codecs("test", "test-alt")
                .maxQueuedOutboundBytes(1024)
                .sendTimeout(Duration.ofSeconds(60))
                .build(),
            c -> {
              assertThat(c.peer().codec()).isEqualTo("test");
              Object key = EncodedFrames.encodingKey(c); // how a broadcast shares an encoding
              firstKey.set(key);
              firstFrame.set(EncodedFrames.encode(c, key, new Msg("broadcast", -2)));
            });
    SocketAddress address = client.peer().address();

    CompletableFuture<Object> asked = client.request(new Msg("asked meanwhile", -1));
    int queued = 0;
    while (client.trySend(new Msg("meanwhile", queued)) == SendResult.ACCEPTED) {
      queued++;
    }
    Thread waiting = new Thread(() -> client.send(new Msg("waited", 1000)), "waiting sender");
    AtomicReference<Throwable> waitFailed = new AtomicReference<>();
    waiting.setUncaughtExceptionHandler((t, e) -> waitFailed.set(e));
    waiting.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> waiting.getState() == Thread.State.TIMED_WAITING);

    List<Object> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    Server<Object, Object> second =
        collectingServer(address, TetherConfig.builder().codecs("test-alt").build(), got);
    waiting.join(20_000);
    assertThat(waitFailed.get()).isNull();
    client.send(new Msg("after", 1001));
    assertThat(EncodedFrames.trySend(client, firstKey.get(), firstFrame.get()))
        .as(
            "a broadcast frame encoded for the first server: not sent, the caller sends the message")
        .isNull();
    assertThat(ConnectionGroup.broadcast(List.of(client), new Msg("broadcast", 1002)).allAccepted())
        .isTrue();

    await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 3);
    assertThat(got)
        .containsExactly(
            new Msg("waited", 1000), new Msg("after", 1001), new Msg("broadcast", 1002));
    assertThat(client.peer().codec()).isEqualTo("test-alt");
    assertThat(heard.lostCount.get())
        .as("the request and the sends queued meanwhile")
        .isEqualTo(queued + 1);
    assertThat(heard.lostCause.get().reason())
        .contains("chose codec test-alt and they were encoded with test")
        .contains((queued + 1) + " messages sent meanwhile were dropped");
    assertThatThrownBy(() -> asked.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("chose codec test-alt");
    assertThat(second.connections()).hasSize(1);
    client.close(); // throws unless graceful
  }

  @Test
  void aServerThatComesBackWithAnotherCodecWhileNothingIsQueuedLosesNothing() throws Exception {
    Heard heard = new Heard();
    Connection<Object, Object> client =
        connectedThroughShutdown(
            heard, TetherConfig.builder().codecs("test", "test-alt").build(), c -> {});
    List<Object> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    collectingServer(
        client.peer().address(), TetherConfig.builder().codecs("test-alt").build(), got);
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.lostCount.get() >= 0);

    assertThat(heard.lostCount.get()).isZero();
    assertThat(heard.lostCause.get().reason()).doesNotContain("dropped");
    client.send(new Msg("after", 0));
    await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
    assertThat(client.peer().codec()).isEqualTo("test-alt");
    client.close(); // throws unless graceful
  }

  /**
   * The server that comes back may accept smaller frames: if a frame queued meanwhile is over its
   * limit, what was queued is dropped and counted; if all fit, it goes. Either way, sends from then
   * on are held to the new limit.
   */
  @ParameterizedTest(name = "a frame over the new limit queued: {0}")
  @ValueSource(booleans = {true, false})
  void aServerThatComesBackAcceptingSmallerFramesGetsWhatFits(boolean overTheLimit)
      throws Exception {
    Heard heard = new Heard();
    Connection<Object, Object> client =
        connectedThroughShutdown(heard, TetherConfig.builder().codecs("test").build(), c -> {});
    SocketAddress address = client.peer().address();

    Msg big = new Msg("x".repeat(2000), 1);
    client.send(new Msg("small", 0));
    client.send(overTheLimit ? big : new Msg("small", 1));
    List<Object> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    collectingServer(
        address, TetherConfig.builder().codecs("test").maxFrameBytes(1024).build(), got);
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.lostCount.get() >= 0);

    assertThatThrownBy(() -> client.send(big))
        .isInstanceOf(MessageTooLargeException.class)
        .hasMessageContaining("accepts at most 1024");
    client.send(new Msg("after", 2));
    if (overTheLimit) {
      await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
      assertThat(got).containsExactly(new Msg("after", 2));
      assertThat(heard.lostCount.get()).isEqualTo(2);
      assertThat(heard.lostCause.get().reason())
          .contains("accepts frames of at most 1024 bytes and one of them was 20");
    } else {
      await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 3);
      assertThat(got)
          .containsExactly(new Msg("small", 0), new Msg("small", 1), new Msg("after", 2));
      assertThat(heard.lostCount.get()).isZero();
    }
    client.close(); // throws unless graceful
  }
}
