package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a thread's interrupt does to Tether, and what Tether does with one it did not ask for. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterruptTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /**
   * A handler that interrupts its own thread (as one does that restores the flag after catching
   * {@link InterruptedException}) must not hand that interrupt to the next connection's handler on
   * the same thread, nor leave it on an event loop, where every look at the selector would then
   * return at once and the loop would spin for good.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void anInterruptLeftByAHandlerReachesNoOtherConnection(boolean onPool) throws Exception {
    String prefix = "interrupt-" + onPool;
    AtomicReference<Thread> interrupter = new AtomicReference<>();
    CompletableFuture<String> nextHandler = new CompletableFuture<>();
    TetherConfig.Builder config = TetherConfig.builder().codecs("test");
    try (TetherRuntime runtime =
            TetherRuntime.builder().eventLoops(1).threadNamePrefix(prefix).build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config((onPool ? config.handlersOnPool() : config).build())
                .runtime(runtime)
                .onMessage(
                    (c, m) -> {
                      if (((Msg) m).text().equals("interrupt yourself")) {
                        interrupter.set(Thread.currentThread());
                        Thread.currentThread().interrupt();
                        c.send(m);
                      } else {
                        boolean same = Thread.currentThread() == interrupter.get();
                        nextHandler.complete(
                            (Thread.interrupted() ? "interrupted" : "not interrupted")
                                + (same ? " on the same thread" : ""));
                      }
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> a =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
        Connection<Object, Object> b =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      a.send(new Msg("interrupt yourself", 1));
      assertThat(a.receive(WAIT)).isEqualTo(new Msg("interrupt yourself", 1));

      b.send(new Msg("are you interrupted?", 2));

      assertThat(nextHandler.get(20, TimeUnit.SECONDS)).startsWith("not interrupted");
      Thread loop =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t.getName().equals(prefix + "-loop-0"))
              .findFirst()
              .orElseThrow();
      await().atMost(WAIT).until(() -> !loop.isInterrupted());
    }
  }

  /**
   * Runs {@code call} on a new thread; returns what it threw (or null) and its interrupt status.
   */
  private static CompletableFuture<String> onThread(Callable call, AtomicReference<Thread> thread) {
    CompletableFuture<String> outcome = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              String result;
              try {
                call.run();
                result = "returned";
              } catch (Throwable e) {
                result = e.toString();
              }
              outcome.complete(result + ", interrupted: " + Thread.currentThread().isInterrupted());
            });
    thread.set(t);
    t.start();
    return outcome;
  }

  private interface Callable {
    void run() throws Exception;
  }

  private static void interruptOnceWaiting(Thread t) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                t.getState() == Thread.State.TIMED_WAITING || t.getState() == Thread.State.WAITING);
    t.interrupt();
  }

  /**
   * A thread interrupted while {@code close} waits for the peer stops waiting and keeps its
   * interrupt; the close goes on, and still ends gracefully.
   */
  @Test
  void anInterruptedCloseStopsWaitingAndTheCloseGoesOn() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onMessage((c, m) -> release.await())
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      client.send(new Msg("hold on", 1)); // the server's close waits for its handler
      AtomicReference<Thread> closing = new AtomicReference<>();
      CompletableFuture<String> closed = onThread(client::close, closing);

      interruptOnceWaiting(closing.get());

      assertThat(closed.get(20, TimeUnit.SECONDS)).isEqualTo("returned, interrupted: true");
      assertThat(client.isOpen()).isFalse();
      release.countDown();
      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.isGraceful()).as(cause.toString()).isTrue();
    }
  }

  /**
   * A thread interrupted while {@code connect} waits for the handshake is told so at once and keeps
   * its interrupt; the connection it was making is closed, not left to the server.
   */
  @Test
  void anInterruptedConnectFailsAtOnceAndLeavesNoConnection() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<ConnectionClosedException> serverSideClosed = new CompletableFuture<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .authorizer(
                request -> {
                  release.await(); // the handshake waits here
                  return Admission.admit();
                })
            .onClose((c, cause) -> serverSideClosed.complete(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      AtomicReference<Thread> connecting = new AtomicReference<>();
      CompletableFuture<String> connected =
          onThread(
              () -> Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()),
              connecting);

      interruptOnceWaiting(connecting.get());

      assertThat(connected.get(20, TimeUnit.SECONDS))
          .contains("TetherException: interrupted while connecting")
          .endsWith("interrupted: true");
      release.countDown();
      serverSideClosed.get(20, TimeUnit.SECONDS);
      await().atMost(WAIT).until(() -> server.connections().isEmpty());
    }
  }

  /**
   * A thread interrupted while {@code send} waits for room is told so at once and keeps its
   * interrupt; that message is not sent, and nothing of it reaches the stream: the peer reads every
   * message accepted before it, whole and in order, and those sent after.
   */
  @Test
  void anInterruptedSendLeavesTheStreamWhole() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Blob> got = new CopyOnWriteArrayList<>();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .maxQueuedOutboundBytes(64 * 1024)
            .maxQueuedInboundMessages(8)
            .sendTimeout(Duration.ofMinutes(5))
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onMessage(
                    (c, m) -> {
                      release.await();
                      got.add((Blob) m);
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      AtomicLong accepted = new AtomicLong();
      AtomicReference<Thread> sending = new AtomicReference<>();
      CompletableFuture<String> sent =
          onThread(
              () -> {
                for (long i = 0; ; i++) {
                  client.send(new Blob(i, blobBytes(i)));
                  accepted.incrementAndGet();
                }
              },
              sending);

      interruptOnceWaiting(sending.get());

      assertThat(sent.get(20, TimeUnit.SECONDS))
          .contains("interrupted while waiting for room")
          .endsWith("interrupted: true");
      long before = accepted.get();
      release.countDown();
      client.send(new Blob(-1, blobBytes(-1)));
      await().atMost(WAIT).until(() -> got.size() == before + 1);
      for (int i = 0; i <= before; i++) {
        long seq = i < before ? i : -1;
        assertThat(got.get(i).seq()).isEqualTo(seq);
        assertThat(got.get(i).data()).isEqualTo(blobBytes(seq));
      }
      assertThat(client.isOpen()).isTrue();
    }
  }

  private static byte[] blobBytes(long seq) {
    byte[] bytes = new byte[4096];
    java.util.Arrays.fill(bytes, (byte) seq);
    return bytes;
  }

  /**
   * A request handler that leaves its thread interrupted (it caught an {@link InterruptedException}
   * and restored the flag, as one should) is answered all the same, also when its answer must wait
   * for room behind what the handler queued: the interrupt is the handler's, not a reason to drop
   * the answer it owes, which was lost without a word and left the requester to its timeout.
   */
  @ParameterizedTest(name = "the handler fails: {0}")
  @ValueSource(booleans = {false, true})
  void aRequestHandlerThatLeavesItsThreadInterruptedIsStillAnswered(boolean fails)
      throws Exception {
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .handlersOnPool()
            .maxQueuedOutboundBytes(64 * 1024)
            .maxQueuedInboundMessages(8)
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onRequest(
                    (c, m) -> {
                      // more than the sockets hold, so that some of it waits to be queued
                      for (long i = 0; i < 4000; i++) {
                        c.sendAsync(new Blob(i, new byte[4096]));
                      }
                      Thread.currentThread().interrupt();
                      if (fails) {
                        throw new IllegalStateException("gave up, interrupted");
                      }
                      return new Msg("done", ((Msg) m).seq());
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      CompletableFuture<Object> response = client.request(new Msg("go", 1), Duration.ofMinutes(5));
      while (!response.isDone()) {
        client.receive(Duration.ofMillis(100)); // reads what the handler sent, making room
      }
      if (fails) {
        assertThatThrownBy(response::get)
            .cause()
            .isInstanceOf(RequestFailedException.class)
            .hasMessageContaining("gave up, interrupted");
      } else {
        assertThat(response.get()).isEqualTo(new Msg("done", 1));
      }
    }
  }
}
