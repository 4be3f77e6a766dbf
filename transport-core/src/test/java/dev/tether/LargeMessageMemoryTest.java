package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.ServerProcess;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory a runtime's connections together hold for received large frames ({@link
 * TetherRuntime.Builder#largeMessageMemory}): many peers sending large messages at once are let in
 * as far as it goes and the rest wait, nothing is lost, and every way a large frame can end gives
 * its share back — a leak would shrink the budget until every connection stalled.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LargeMessageMemoryTest {
  private static final int MIB = 1024 * 1024;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    pool.shutdownNow();
  }

  @Test
  void peersSendingLargeMessagesAtOnceAreLetInAsFarAsTheMemoryGoesAndTheRestWait()
      throws Exception {
    TetherRuntime runtime = runtime(3L * MIB);
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger arrived = new AtomicInteger();
    AtomicLong mostInUse = new AtomicLong();
    Server<Object, Object> server =
        server(runtime)
            .onMessage(
                (c, m) -> {
                  arrived.incrementAndGet();
                  mostInUse.accumulateAndGet(runtime.largeMessageMemoryInUse(), Math::max);
                  pass(gate);
                })
            .bind(loopback());
    closeables.add(server);
    int peers = 6;
    List<Connection<Object, Object>> clients = new ArrayList<>();
    for (int i = 0; i < peers; i++) {
      Connection<Object, Object> client = client().connect(server.address());
      closeables.add(client);
      clients.add(client);
      client.send(new Blob(i, new byte[MIB]));
    }

    // each frame is a little over 1 MiB: three are let in (the third while 2 MiB were held), and
    // their handlers hold them; the other three peers wait, their bytes in TCP's buffers
    await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == 3);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> arrived.get() == 3);
    assertThat(runtime.largeMessageMemoryInUse()).isBetween(3L * MIB, 4L * MIB);

    gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> arrived.get() == peers);
    assertThat(mostInUse.get()).isLessThanOrEqualTo(4L * MIB); // the limit plus at most one frame
    awaitNothingHeld(runtime);
    for (Connection<Object, Object> client : clients) {
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void aClientWhoseLargeMessageWaitsForMemoryLongerThanItsIdleTimeoutWaitsOn() throws Exception {
    TetherConfig quick =
        TetherConfig.builder()
            .codecs("test")
            .handlerExecutor(pool)
            .idleTimeout(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofMillis(300))
            .maxQueuedOutboundBytes(256 * 1024)
            .build();
    TetherRuntime runtime = runtime(64 * 1024 + 1);
    CountDownLatch gate = new CountDownLatch(1);
    List<Long> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(quick)
            .runtime(runtime)
            .onMessage(
                (c, m) -> {
                  arrived.add(((Blob) m).seq());
                  if (((Blob) m).seq() == 1) {
                    pass(gate); // holds all the memory there is
                  }
                })
            .bind(loopback());
    closeables.add(server);
    Connection<Object, Object> first =
        Tether.client(TestTypes.TYPES).config(quick).connect(server.address());
    closeables.add(first);
    first.send(new Blob(1, new byte[MIB]));
    await().atMost(Duration.ofSeconds(10)).until(() -> arrived.contains(1L));
    // its own message over its outbound bound, this client hears the server's PINGs but the server
    // reads nothing of it: for three of its idle timeouts it waits, as a peer that is only busy
    Connection<Object, Object> second =
        Tether.client(TestTypes.TYPES).config(quick).connect(server.address());
    closeables.add(second);
    second.send(new Blob(2, new byte[12 * MIB])); // more than the kernel buffers take
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(() -> second.isOpen() && !arrived.contains(2L));

    gate.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> arrived.contains(2L));
    assertThat(first.isOpen()).isTrue();
    assertThat(second.isOpen()).isTrue();
  }

  @Test
  void aFrameLargerThanTheWholeMemoryStillGetsThrough() throws Exception {
    TetherRuntime runtime = runtime(100 * 1024);
    CompletableFuture<Blob> got = new CompletableFuture<>();
    Server<Object, Object> server =
        server(runtime).onMessage((c, m) -> got.complete((Blob) m)).bind(loopback());
    closeables.add(server);
    Connection<Object, Object> client = client().connect(server.address());
    closeables.add(client);
    client.send(new Blob(7, new byte[2 * MIB]));

    assertThat(got.get(10, TimeUnit.SECONDS).data()).hasSize(2 * MIB);
    awaitNothingHeld(runtime);
  }

  @Test
  void handledMessagesRequestsAndResponsesGiveTheirMemoryBack() throws Exception {
    // room for one large frame at a time: any that is not given back stalls the next
    TetherRuntime serverRuntime = runtime(64 * 1024 + 1);
    TetherRuntime clientRuntime = runtime(64 * 1024 + 1);
    AtomicInteger messages = new AtomicInteger();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                config().toBuilder()
                    .handlerFailurePolicy(HandlerFailurePolicy.LOG_AND_CONTINUE)
                    .build())
            .runtime(serverRuntime)
            .onMessage(
                (c, m) -> {
                  if (messages.incrementAndGet() % 2 == 0) {
                    throw new IllegalStateException("every other message fails, as configured");
                  }
                })
            .onRequestAsync(
                (c, m) ->
                    ((Blob) m).seq() % 2 == 0
                        ? CompletableFuture.completedFuture(m) // answered at once
                        : CompletableFuture.supplyAsync(() -> m, pool)) // answered later
            .bind(loopback());
    closeables.add(server);
    Connection<Object, Object> client = connect(clientRuntime, server);

    for (int i = 0; i < 10; i++) {
      client.send(new Blob(i, new byte[200 * 1024]));
    }
    for (int i = 0; i < 10; i++) {
      Blob echoed =
          (Blob) client.request(new Blob(i, new byte[200 * 1024])).get(10, TimeUnit.SECONDS);
      assertThat(echoed.seq()).isEqualTo(i);
      assertThat(echoed.data()).hasSize(200 * 1024);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> messages.get() == 10);
    awaitNothingHeld(serverRuntime);
    awaitNothingHeld(clientRuntime);
  }

  @Test
  void messagesWaitingForReceiveHoldTheirMemoryUntilTaken() throws Exception {
    TetherRuntime clientRuntime = runtime(64 * 1024 + 1);
    Server<Object, Object> server =
        server(runtime(MIB))
            .onConnection(
                c -> {
                  for (int i = 0; i < 3; i++) {
                    c.send(new Blob(i, new byte[100 * 1024]));
                  }
                })
            .bind(loopback());
    closeables.add(server);
    Connection<Object, Object> client = connect(clientRuntime, server);

    await().atMost(Duration.ofSeconds(10)).until(() -> clientRuntime.largeMessageMemoryInUse() > 0);
    for (int i = 0; i < 3; i++) {
      assertThat(((Blob) client.receive(Duration.ofSeconds(10))).seq()).isEqualTo(i);
    }
    awaitNothingHeld(clientRuntime);
  }

  @Test
  void largeMessagesQueuedWhenTheConnectionFailsGiveTheirMemoryBack() throws Exception {
    TetherRuntime runtime = runtime(4L * MIB);
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger arrived = new AtomicInteger();
    Server<Object, Object> server =
        server(runtime)
            .onMessage(
                (c, m) -> {
                  arrived.incrementAndGet();
                  pass(gate);
                  throw new IllegalStateException("the first message fails the connection");
                })
            .bind(loopback());
    closeables.add(server);
    Connection<Object, Object> client = client().connect(server.address());
    closeables.add(client);
    for (int i = 0; i < 3; i++) {
      client.send(new Blob(i, new byte[MIB]));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> runtime.largeMessageMemoryInUse() > 3L * MIB);

    gate.countDown(); // the handler throws; the two queued behind it are never handled
    client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    awaitNothingHeld(runtime);
    assertThat(arrived.get()).isEqualTo(1);
  }

  @Test
  void aLargeFrameCutShortByThePeerGivesItsMemoryBack() throws Exception {
    TetherRuntime runtime = runtime(MIB);
    Server<Object, Object> server = server(runtime).onMessage((c, m) -> {}).bind(loopback());
    closeables.add(server);
    try (RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      // DATA announcing 512 KiB, of which the peer sends 1 KiB before it goes
      peer.write(ByteBuffer.allocate(5).putInt(512 * 1024).put((byte) RawPeer.DATA).array());
      peer.write(new byte[1024]);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> runtime.largeMessageMemoryInUse() == 512 * 1024);
    }
    awaitNothingHeld(runtime);
  }

  @Test
  void largeFramesTheConnectionRefusesGiveTheirMemoryBack() throws Exception {
    TetherRuntime runtime = runtime(64 * 1024 + 1);
    Server<Object, Object> server = server(runtime).onMessage((c, m) -> {}).bind(loopback());
    closeables.add(server);
    // a large frame of an unknown ancillary type is skipped; one of an unregistered message type
    // fails the connection
    try (RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      peer.writeFrame(0xC0, new byte[100 * 1024]);
      peer.writeFrame(0xC1, new byte[100 * 1024]);
      peer.writeFrame(RawPeer.PING, new byte[8]);
      assertThat(peer.readFrameSkippingControl().type()).isEqualTo(RawPeer.PONG);
      // the PONG answers a PING read after both: the connection, still open, holds nothing
      assertThat(runtime.largeMessageMemoryInUse()).isZero();
      byte[] data = new byte[100 * 1024];
      data[0] = 99; // type id 99, not registered
      peer.writeFrame(RawPeer.DATA, data);
      RawPeer.Frame goAway = peer.readFrameSkippingControl();
      assertThat(goAway.type()).isEqualTo(RawPeer.GOAWAY);
      assertThat(RawPeer.GoAway.parse(goAway.body()).reason()).contains("type id 99");
    }
    awaitNothingHeld(runtime);
  }

  @Test
  void aServerOnASmallHeapAnswersManyClientsLargeRequestsWithoutRunningOutOfMemory()
      throws Exception {
    // 24 clients with 6 requests of 3 MiB each in flight: 432 MiB asked of a 96 MiB heap, and as
    // much answered; the runtime's memories for large frames, received and sent, hold it back
    ServerProcess server = ServerProcess.start(96, null, null);
    closeables.add(server);
    String text = "x".repeat(3 * MIB);
    TetherConfig patient =
        TetherConfig.builder()
            .codecs("test")
            .sendTimeout(Duration.ofSeconds(40))
            .requestTimeout(Duration.ofSeconds(40))
            .build();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).config(patient).connect(server.address());
      closeables.add(client);
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                List<CompletableFuture<Object>> answers = new ArrayList<>();
                for (int k = 0; k < 6; k++) {
                  answers.add(client.request(new Msg(text, k)));
                }
                for (int k = 0; k < answers.size(); k++) {
                  Msg answer = (Msg) answers.get(k).join();
                  assertThat(answer.seq()).isEqualTo(k);
                  assertThat(answer.text()).hasSize(text.length() + ("n=" + k + " ").length());
                }
              },
              pool));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
    assertThat(server.process().isAlive()).as("the server's JVM").isTrue();
  }

  @Test
  void aRuntimeRefusesAMemoryLimitBelowOneByte() {
    assertThatThrownBy(() -> TetherRuntime.builder().largeMessageMemory(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("largeMessageMemory must be at least 1 byte");
    assertThat(TetherRuntime.shared().largeMessageMemory())
        .isEqualTo(Runtime.getRuntime().maxMemory() / 8);
  }

  // ------------------------------------------------------------------ helpers

  private TetherRuntime runtime(long largeMessageMemory) {
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(2).largeMessageMemory(largeMessageMemory).build();
    closeables.add(runtime);
    return runtime;
  }

  private TetherConfig config() {
    return TetherConfig.builder().codecs("test").handlerExecutor(pool).build();
  }

  private ServerBuilder<Object, Object> server(TetherRuntime runtime) {
    return Tether.server(TestTypes.TYPES).config(config()).runtime(runtime);
  }

  private ClientBuilder<Object, Object> client() {
    return Tether.client(TestTypes.TYPES).config(config());
  }

  private Connection<Object, Object> connect(TetherRuntime runtime, Server<?, ?> server)
      throws Exception {
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).config(config()).runtime(runtime).connect(server.address());
    closeables.add(client);
    return client;
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress("127.0.0.1", 0);
  }

  private static void awaitNothingHeld(TetherRuntime runtime) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(runtime.largeMessageMemoryInUse()).isZero());
  }

  private static void pass(CountDownLatch gate) {
    try {
      if (!gate.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never opened the gate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
