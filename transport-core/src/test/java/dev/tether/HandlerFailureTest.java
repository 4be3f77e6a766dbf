package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever a handler throws, {@link Error}s included, the connection ends up in a defined state.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static TetherConfig config(boolean onLoop) {
    TetherConfig.Builder b = TetherConfig.builder().codecs("test");
    return (onLoop ? b.handlersOnEventLoop() : b).build();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aMessageHandlerThatThrowsAnErrorClosesItsConnectionWithInternalError(boolean onLoop)
      throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config(onLoop))
                .onMessage(
                    (c, m) -> {
                      throw new AssertionError("handler bug on " + ((Msg) m).seq());
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config(false)).connect(server.address())) {
      client.send(new Msg("a", 1));

      // the old engine wedged: reading stayed paused and the idle timeout was suspended
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.isRemote()).isTrue();
      assertThat(cause.reason()).contains("handler bug on 1");
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void withLogAndContinueAFailingHandlerMissesNothingElse(boolean onLoop) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    TetherConfig config =
        config(onLoop).toBuilder()
            .handlerFailurePolicy(HandlerFailurePolicy.LOG_AND_CONTINUE)
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onMessage(
                    (c, m) -> {
                      long seq = ((Msg) m).seq();
                      calls.incrementAndGet();
                      if (seq % 3 == 0) {
                        throw new IllegalStateException("bad " + seq);
                      }
                      if (seq % 3 == 1) {
                        throw new OutOfMemoryError("pretend " + seq);
                      }
                      c.send(m);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config(false)).connect(server.address())) {
      for (int i = 0; i < 300; i++) {
        client.send(new Msg("m", i));
      }
      for (int i = 2; i < 300; i += 3) {
        assertThat(client.receive(WAIT)).isEqualTo(new Msg("m", i));
      }
      assertThat(calls.get()).isEqualTo(300);
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void aThrowingCloseHandlerStillCompletesOnClose() throws Exception {
    AtomicReference<Connection<Object, Object>> serverSide = new AtomicReference<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onConnection(serverSide::set)
            .onClose(
                (c, cause) -> {
                  throw new StackOverflowError("close handler bug");
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
      await().atMost(WAIT).until(() -> serverSide.get() != null);

      client.close();

      ConnectionClosedException cause =
          serverSide.get().onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.NORMAL);
    }
  }

  @Test
  void aConnectionHandlerThatThrowsClosesTheConnection() throws Exception {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onConnection(
                c -> {
                  throw new IllegalStateException("no room for you");
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.reason()).contains("no room for you");
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aRequestHandlerThatThrowsAnErrorIsAnsweredAndTheConnectionStaysUp(boolean onLoop)
      throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config(onLoop))
                .onRequest(
                    (c, m) -> {
                      if (((Msg) m).seq() == 1) {
                        throw new NoClassDefFoundError("com/example/Missing");
                      }
                      return m;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config(false)).connect(server.address())) {
      assertHandlerFailed(client.request(new Msg("x", 1)), "com/example/Missing");
      assertThat(client.request(new Msg("y", 2)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("y", 2));
    }
  }

  /**
   * A future that is already complete when the handler returns it is answered at once (no callback
   * is registered for it): each outcome must still come back as a callback would send it.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void anAlreadyCompletedFutureIsAnsweredAsItCompleted(boolean onLoop) throws Exception {
    // a request answered twice would leave the close waiting for it until the drain timeout
    TetherConfig.Builder patient =
        TetherConfig.builder().codecs("test").drainTimeout(Duration.ofMinutes(2));
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config((onLoop ? patient.handlersOnEventLoop() : patient).build())
                .onRequestAsync(
                    (c, m) -> {
                      Msg msg = (Msg) m;
                      return switch ((int) msg.seq()) {
                        case 1 -> CompletableFuture.completedFuture(new Msg("re:" + msg.text(), 1));
                        case 2 ->
                            CompletableFuture.failedFuture(new IllegalStateException("vat empty"));
                        case 3 -> CompletableFuture.completedFuture(null);
                        case 4 -> {
                          CompletableFuture<Object> cancelled = new CompletableFuture<>();
                          cancelled.cancel(false);
                          yield cancelled;
                        }
                        case 5 ->
                            CompletableFuture.failedFuture(
                                    new IllegalStateException("dependent stage broke"))
                                .thenApply(x -> x); // failed in a dependent stage: wrapped
                        case 6 -> CompletableFuture.completedFuture(msg).minimalCompletionStage();
                        case 7 -> CompletableFuture.supplyAsync(() -> msg).minimalCompletionStage();
                        case 8 -> new RefusingStage<>(false);
                        case 9 -> new RefusingStage<>(true);
                        default -> throw new IllegalArgumentException("no case " + msg.seq());
                      };
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .drainTimeout(Duration.ofMinutes(2))
                        .build())
                .connect(server.address())) {
      assertThat(client.request(new Msg("a", 1)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("re:a", 1));
      assertHandlerFailed(client.request(new Msg("b", 2)), "vat empty");
      assertHandlerFailed(client.request(new Msg("c", 3)), "request handler returned null");
      assertHandlerFailed(client.request(new Msg("d", 4)), "CancellationException");
      assertHandlerFailed(client.request(new Msg("e", 5)), "dependent stage broke");
      assertThat(client.request(new Msg("f", 1)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("re:f", 1));
      // a minimal stage refuses isDone and join: answered through its callback
      assertThat(client.request(new Msg("g", 6)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("g", 6));
      assertThat(client.request(new Msg("h", 7)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("h", 7));
      // a stage whose whenComplete throws, before or after it ran the callback: answered once
      assertHandlerFailed(client.request(new Msg("i", 8)), "no callbacks here");
      assertThat(client.request(new Msg("j", 9)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("from the callback", 9));
      assertThat(client.request(new Msg("k", 1)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("re:k", 1));
      assertThat(client.isOpen()).isTrue();
      ConnectionClosedException closed =
          client.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(closed.code()).isEqualTo(GoAwayCode.NORMAL);
    }
  }

  /** An application's own stage whose {@code whenComplete} throws, after running it or not. */
  private static final class RefusingStage<T> extends CompletableFuture<T> {
    private final boolean runsItFirst;

    RefusingStage(boolean runsItFirst) {
      this.runsItFirst = runsItFirst;
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<T> whenComplete(
        java.util.function.BiConsumer<? super T, ? super Throwable> action) {
      if (runsItFirst) {
        action.accept((T) new Msg("from the callback", 9), null);
      }
      throw new UnsupportedOperationException("no callbacks here");
    }
  }

  /** A failure whose own {@code getMessage} is broken, as the application's code may be. */
  static final class UnprintableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @Override
    public String getMessage() {
      throw new IllegalStateException("getMessage has a bug too");
    }
  }

  /**
   * A handler's failure whose {@code getMessage} throws in turn must not escape the code that
   * reports it: it stopped the connection's dispatcher for good, with the connection open, nothing
   * more delivered or answered, and its close waiting until the drain deadline.
   */
  @ParameterizedTest(name = "{0} handler, on the loop: {1}")
  @CsvSource({
    "message, false",
    "message, true",
    "request, false",
    "request, true",
    "connection, false",
    "connection, true"
  })
  void aFailureWhoseMessageThrowsIsReportedAsAnyOther(String handler, boolean onLoop)
      throws Exception {
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config(onLoop))
                .onConnection(
                    c -> {
                      if (handler.equals("connection")) {
                        throw new UnprintableException();
                      }
                    })
                .onMessage(
                    (c, m) -> {
                      throw new UnprintableException();
                    })
                .onRequest(
                    (c, m) -> {
                      if (((Msg) m).seq() == 1) {
                        throw new UnprintableException();
                      }
                      return m;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config(false)).connect(server.address())) {
      if (handler.equals("request")) {
        assertHandlerFailed(client.request(new Msg("x", 1)), "UnprintableException");
        assertThat(client.request(new Msg("y", 2)).get(20, TimeUnit.SECONDS))
            .isEqualTo(new Msg("y", 2));
        return;
      }
      if (handler.equals("message")) {
        client.send(new Msg("x", 1));
      }
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.isRemote()).isTrue();
      assertThat(cause.reason()).contains("UnprintableException");
    }
  }

  private static void assertHandlerFailed(CompletableFuture<Object> response, String text) {
    assertThatThrownBy(() -> response.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            RequestFailedException.class,
            e -> {
              assertThat(e.code()).isEqualTo(RequestErrorCode.HANDLER_FAILED);
              assertThat(e.remoteMessage()).contains(text);
              assertThat(e.remoteMessage()).doesNotContain("CompletionException");
            });
  }

  /** An application's executor, on a pool of two, that refuses work once told to. */
  private static final class RefusingExecutor implements Executor {
    final ExecutorService pool = Executors.newFixedThreadPool(2);
    final AtomicBoolean refuse = new AtomicBoolean();

    @Override
    public void execute(Runnable task) {
      if (refuse.get()) {
        throw new RejectedExecutionException("the application shut it down");
      }
      pool.execute(task);
    }
  }

  /**
   * A handler executor that an application shut down (or that is saturated and aborts) refuses to
   * run the connection's handlers. The connection must not wedge, its messages queued and never
   * delivered, its close never completing: it fails with INTERNAL_ERROR naming the refusal, and its
   * close handler runs (on the runtime's pool) and completes the close. Refused at the first
   * hand-off, or when the dispatcher, its budget spent with messages left, hands itself on.
   */
  @ParameterizedTest(name = "refused after a full budget: {0}")
  @ValueSource(booleans = {false, true})
  void aHandlerExecutorThatRefusesClosesTheConnectionSayingSo(boolean afterAFullBudget)
      throws Exception {
    RefusingExecutor executor = new RefusingExecutor();
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> closeHandler = new CompletableFuture<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .handlerExecutor(executor)
                        .maxQueuedInboundMessages(10_000)
                        .build())
                .onMessage((c, m) -> release.await())
                .onClose((c, cause) -> closeHandler.complete(Thread.currentThread().getName()))
                .connect(server.address())) {
      await().atMost(WAIT).until(() -> server.connections().size() == 1);
      Connection<Object, Object> toClient = server.connections().iterator().next();
      int sent = afterAFullBudget ? 6000 : 1; // more than one dispatcher run delivers
      if (!afterAFullBudget) {
        executor.refuse.set(true);
      }
      for (int i = 0; i < sent; i++) {
        toClient.send(new Msg("m", i));
      }
      await().atMost(WAIT).until(() -> client.metrics().messagesReceived() == sent);
      executor.refuse.set(true);
      release.countDown();

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.reason())
          .contains("the handler executor refused work")
          .contains("the application shut it down");
      assertThat(closeHandler.get(10, TimeUnit.SECONDS)).startsWith("tether-handler");
      await().atMost(WAIT).until(() -> server.connections().isEmpty());
    } finally {
      executor.pool.shutdownNow();
    }
  }

  /**
   * The same with the executor given to the runtime (which the runtime does not shut down) and
   * handlers on the pool: with nothing to fall back on, the loop completes the close.
   */
  @Test
  void aRuntimeHandlerExecutorThatRefusesClosesTheConnectionSayingSo() throws Exception {
    RefusingExecutor executor = new RefusingExecutor();
    TetherRuntime runtime = TetherRuntime.builder().handlerExecutor(executor).build();
    CountDownLatch connected = new CountDownLatch(1);
    CompletableFuture<Boolean> closeHandler = new CompletableFuture<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .runtime(runtime)
                .config(TetherConfig.builder().codecs("test").handlersOnPool().build())
                .onConnection(c -> connected.countDown())
                .onMessage((c, m) -> {})
                .onClose((c, cause) -> closeHandler.complete(true))
                .connect(server.address())) {
      assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue();
      executor.refuse.set(true);
      await().atMost(WAIT).until(() -> server.connections().size() == 1);
      server.connections().iterator().next().send(new Msg("m", 0));

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.reason()).contains("the handler executor refused work");
      assertThat(closeHandler.get(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      executor.refuse.set(false);
      runtime.close();
      executor.pool.shutdownNow();
    }
  }

  /**
   * A connect completes on the runtime's handler executor, so that the caller's dependent actions
   * never run on a loop; one that refuses from the start must not leave the connect waiting
   * forever: it completes, and the connection then closes, naming the refusal.
   */
  @Test
  void aConnectThroughARuntimeWhoseExecutorRefusesCompletes() throws Exception {
    RefusingExecutor executor = new RefusingExecutor();
    executor.refuse.set(true);
    TetherRuntime runtime = TetherRuntime.builder().handlerExecutor(executor).build();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES).codecs("test").bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES)
              .runtime(runtime)
              .codecs("test")
              .connectAsync(server.address())
              .get(10, TimeUnit.SECONDS);
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR);
      assertThat(cause.reason()).contains("the handler executor refused work");
    } finally {
      runtime.close();
      executor.pool.shutdownNow();
    }
  }

  /**
   * A response too large to decode on the event loop is decoded on the handler executor; one that
   * refuses must not leave the request waiting forever: it is decoded on the loop instead.
   */
  @Test
  void aLargeResponseIsDecodedThoughTheHandlerExecutorRefuses() throws Exception {
    RefusingExecutor executor = new RefusingExecutor();
    Blob large = new Blob(7, new byte[200 * 1024]); // over the 64 KiB decoded on the loop
    CountDownLatch connected = new CountDownLatch(1);
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onRequest((c, m) -> large)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").handlerExecutor(executor).build())
                .onConnection(c -> connected.countDown())
                .connect(server.address())) {
      assertThat(connected.await(10, TimeUnit.SECONDS)).isTrue(); // no more for the executor
      executor.refuse.set(true);
      Object response = client.request(new Msg("large, please", 1)).get(10, TimeUnit.SECONDS);
      assertThat(response).isInstanceOf(Blob.class);
      assertThat(((Blob) response).data()).hasSize(200 * 1024);
      executor.refuse.set(
          false); // a graceful close needs the executor (the handler finishes first)
    } finally {
      executor.pool.shutdownNow();
    }
  }
}
