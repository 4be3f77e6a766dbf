package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Connection#whenWritable()}: the writability signal a producer waits for after {@code
 * trySend} was refused, over real sockets to peers that stop reading and read again, for want of
 * room in the connection's queue and for want of the runtime's send memory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WhenWritableTest {
  private static final int KIB = 1024;

  private final Resources resources = new Resources();
  private final ExecutorService readers = Executors.newCachedThreadPool();

  @AfterEach
  void close() {
    resources.close();
    readers.shutdownNow();
  }

  @Test
  void aWritableConnectionsStageIsCompleteAtOnceAndItsDependentsRunOffTheLoop() throws Exception {
    Server<Object, Object> server = server(TetherRuntime.shared(), 64 * KIB);
    Connection<Object, Object> client =
        resources.track(
            Tether.client(TestTypes.TYPES).config(TestTypes.QUIET).connect(server.address()));

    CompletableFuture<Void> stage = client.whenWritable().toCompletableFuture();

    assertThat(stage).isCompleted();
    String thread =
        stage.thenApply(v -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
    assertThat(thread).doesNotContain("loop");
  }

  @Test
  void aProducerRefusedForRoomIsToldOnceThePeerReadsAgain() throws Exception {
    Server<Object, Object> server = server(TetherRuntime.shared(), 64 * KIB);
    RawPeer peer = silentPeer(server);
    Connection<Object, Object> toPeer = onlyConnection(server);

    CompletableFuture<Void> writable = refusedAndWaiting(toPeer, 1 * KIB);

    readers.execute(() -> readUntil(peer, writable));

    writable.get(10, TimeUnit.SECONDS);
    assertThat(toPeer.isWritable()).isTrue();
    assertThat(toPeer.trySend(new Msg("after", 1))).isEqualTo(SendResult.ACCEPTED);
  }

  @Test
  void aProducerRefusedForTheRuntimesSendMemoryIsToldOnceAnotherConnectionGivesItBack()
      throws Exception {
    TetherRuntime runtime =
        resources.track(
            TetherRuntime.builder()
                .eventLoops(1)
                .threadNamePrefix("when-writable")
                .largeMessageSendMemory(64 * KIB)
                .build());
    Server<Object, Object> server = server(runtime, 4 * 1024 * KIB);
    RawPeer holderPeer = silentPeer(server);
    Connection<Object, Object> holder = onlyConnection(server);
    fillUntilRefused(holder, 32 * KIB); // past its own 128 KiB: it takes all the memory
    assertThat(runtime.largeMessageSendMemoryInUse()).isGreaterThanOrEqualTo(64L * KIB);

    silentPeer(server);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 2);
    Connection<Object, Object> waiter =
        server.connections().stream().filter(c -> c != holder).findFirst().orElseThrow();
    CompletableFuture<Void> writable = refusedAndWaiting(waiter, 32 * KIB);
    assertThat(waiter.metrics().queuedOutboundBytes())
        .as("the waiter's queue, far under its bound: it waits for memory alone")
        .isLessThan(1024L * KIB);

    holderPeer.resetAbruptly(); // the holder's connection ends, and gives its memory back

    writable.get(10, TimeUnit.SECONDS);
    assertThat(waiter.isWritable()).isTrue();
  }

  @Test
  void aStageWaitingWhenTheConnectionClosesFailsNamingTheClose() throws Exception {
    Server<Object, Object> server = server(TetherRuntime.shared(), 64 * KIB);
    RawPeer peer = silentPeer(server);
    Connection<Object, Object> toPeer = onlyConnection(server);
    CompletableFuture<Void> writable = refusedAndWaiting(toPeer, 1 * KIB);

    peer.resetAbruptly();

    assertThatThrownBy(() -> writable.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(ConnectionClosedException.class);
    assertThat(toPeer.whenWritable().toCompletableFuture())
        .as("asked once closed")
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(ConnectionClosedException.class);
  }

  @Test
  void aStageWaitingWhenTheApplicationClosesTheConnectionFailsAtOnceNotAfterTheDrain()
      throws Exception {
    // the peer never reads: a long drain
    Server<Object, Object> server =
        server(TetherRuntime.shared(), 64 * KIB, Duration.ofSeconds(40));
    silentPeer(server);
    Connection<Object, Object> toPeer = onlyConnection(server);
    CompletableFuture<Void> writable = refusedAndWaiting(toPeer, 1 * KIB);

    toPeer.closeAsync();

    assertThat(writable)
        .failsWithin(Duration.ofSeconds(20))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(ConnectionClosedException.class);
    assertThat(toPeer.onClose().toCompletableFuture()).as("still draining").isNotDone();
  }

  @Test
  void aStageAskedOfAConnectionWhoseRuntimeHasClosedFailsAtOnce() throws Exception {
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(1).threadNamePrefix("closed-runtime").build();
    Server<Object, Object> server = server(TetherRuntime.shared(), 64 * KIB);
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES)
            .runtime(runtime)
            .config(TestTypes.QUIET)
            .connect(server.address());
    runtime.close(); // closes its connections, and stops its loop

    assertThat(client.whenWritable().toCompletableFuture())
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(ConnectionClosedException.class);
  }

  /**
   * Producers that send with {@code trySend} and, when refused, wait for {@code whenWritable} (each
   * wait bounded, so a signal lost would fail the test), to a server that reads more slowly than
   * they send: half with a small queue, half past their own allowance with little send memory
   * between them. Every wait ends, and every message arrives, in order.
   */
  @Test
  void producersWaitingForWritabilityAreAlwaysToldAndLoseNothing() throws Exception {
    int producers = 4;
    int count = 3_000;
    String text = "p".repeat(KIB);
    TetherRuntime runtime =
        resources.track(
            TetherRuntime.builder()
                .eventLoops(2)
                .threadNamePrefix("producers")
                .largeMessageSendMemory(128 * KIB)
                .build());
    Map<Connection<Object, Object>, AtomicLong> next = new ConcurrentHashMap<>();
    List<String> disorder = new CopyOnWriteArrayList<>();
    AtomicLong received = new AtomicLong();
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").build())
                .onMessage(
                    (c, m) -> {
                      long seq = ((Msg) m).seq();
                      long due = next.computeIfAbsent(c, k -> new AtomicLong()).getAndIncrement();
                      if (seq != due) {
                        disorder.add(c + ": " + seq + " where " + due + " was due");
                      }
                      received.incrementAndGet();
                      LockSupport.parkNanos(20_000); // a handler slower than the producers
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    List<CompletableFuture<Integer>> waits = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      Connection<Object, Object> c =
          resources.track(
              Tether.client(TestTypes.TYPES)
                  .runtime(runtime)
                  .config(
                      TetherConfig.builder()
                          .codecs("test")
                          // half wait for room in their queue, half for the send memory
                          .maxQueuedOutboundBytes(p % 2 == 0 ? 16 * KIB : 1024 * KIB)
                          .build())
                  .connect(server.address()));
      waits.add(
          CompletableFuture.supplyAsync(
              () -> {
                int waited = 0;
                for (int i = 0; i < count; i++) {
                  Msg message = new Msg(text, i);
                  while (c.trySend(message) == SendResult.BACK_PRESSURED) {
                    waited++;
                    try {
                      c.whenWritable().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                      throw new AssertionError(
                          "message " + i + ": no writability within 10 s, " + c.metrics(), e);
                    }
                  }
                }
                return waited;
              },
              readers));
    }

    int waited = 0;
    for (CompletableFuture<Integer> w : waits) {
      waited += w.get(50, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == (long) producers * count);
    assertThat(disorder).isEmpty();
    assertThat(waited).as("waits for writability").isPositive();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(runtime.largeMessageSendMemoryInUse()).isZero());
  }

  private Server<Object, Object> server(TetherRuntime runtime, int maxQueuedOutboundBytes) {
    return server(runtime, maxQueuedOutboundBytes, TetherConfig.defaults().drainTimeout());
  }

  private Server<Object, Object> server(
      TetherRuntime runtime, int maxQueuedOutboundBytes, Duration drainTimeout) {
    return resources.track(
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .maxQueuedOutboundBytes(maxQueuedOutboundBytes)
                    .heartbeatInterval(Duration.ZERO)
                    .idleTimeout(Duration.ZERO) // the silent peers must not be closed for it
                    .drainTimeout(drainTimeout)
                    .build())
            .runtime(runtime)
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  /** A peer that completes its handshake with a small receive buffer, and reads nothing after. */
  private RawPeer silentPeer(Server<Object, Object> server) throws IOException {
    RawPeer peer = resources.track(RawPeer.connect(server.address(), 8 * KIB));
    peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    return peer;
  }

  private static Connection<Object, Object> onlyConnection(Server<Object, Object> server) {
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
    return server.connections().iterator().next();
  }

  /**
   * Sends with {@code trySend} until a whole poll accepts nothing: the queue is full and the
   * kernel's buffers, which took what the loop wrote meanwhile, too.
   */
  private static void fillUntilRefused(Connection<Object, Object> c, int size) {
    Msg message = new Msg("w".repeat(size), 0);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              int accepted = 0;
              while (accepted < 100_000 && c.trySend(message) == SendResult.ACCEPTED) {
                accepted++;
              }
              return accepted == 0;
            });
  }

  /**
   * Fills {@code c} with messages of {@code size} until refused, and returns its {@link
   * Connection#whenWritable} stage once it has stayed pending, and the connection not writable, for
   * 300 ms.
   */
  private static CompletableFuture<Void> refusedAndWaiting(Connection<Object, Object> c, int size) {
    fillUntilRefused(c, size);
    CompletableFuture<Void> writable = c.whenWritable().toCompletableFuture();
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !writable.isDone() && !c.isWritable());
    return writable;
  }

  /** Reads frames until {@code done} completes, or the peer is closed. */
  private static void readUntil(RawPeer peer, CompletableFuture<?> done) {
    try {
      while (!done.isDone()) {
        peer.readFrameSkippingControl();
      }
    } catch (IOException e) {
      // closed at the test's end
    }
  }
}
