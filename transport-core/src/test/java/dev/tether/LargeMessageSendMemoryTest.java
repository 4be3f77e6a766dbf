package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.RawPeer;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory a runtime's connections together hold for large frames they send ({@link
 * TetherRuntime.Builder#largeMessageSendMemory}): a server answering many slow peers with large
 * messages queues them only as far as it goes, the senders beyond wait their turn (and fail, naming
 * the cause, if nothing moves for their send timeout), and every way a queued frame can end gives
 * its share back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LargeMessageSendMemoryTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;

  /**
   * A large message, larger than the kernel's buffers take (loopback lets a socket's send buffer
   * grow to 4 MiB): a frame leaves the queue only once written whole, so to a peer that does not
   * read it stays.
   */
  private static final int BLOB = 6 * MIB;

  private final Resources resources = new Resources();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void close() {
    resources.close();
    pool.shutdownNow();
  }

  @Test
  void sendersOfLargeMessagesToPeersThatDoNotReadWaitTheirTurnOnceTheMemoryIsTaken()
      throws Exception {
    TetherRuntime runtime = runtime(2L * BLOB + 64 * KIB); // the third goes in while two are held
    Server<Object, Object> server = server(runtime).bind(loopback());
    resources.track(server);
    List<RawPeer> peers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      peers.add(silentPeer(server));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 5);
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    for (RawPeer peer : peers) {
      Connection<Object, Object> connection = serverSide(server, peer);
      CompletableFuture<Void> sent = new CompletableFuture<>();
      Thread sender =
          new Thread(
              () -> {
                connection.send(blob(peer.localPort()));
                sent.complete(null);
              });
      sender.start();
      sends.add(sent);
      // one after another, so that the order they wait in is known
      await().atMost(Duration.ofSeconds(10)).until(() -> sent.isDone() || waits(sender));
    }

    // three frames are let in (the third while two were held); nothing is written whole to peers
    // that do not read, so the two other senders wait
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .untilAsserted(
            () ->
                assertThat(done(sends))
                    .as("sends done, %d bytes in use", runtime.largeMessageSendMemoryInUse())
                    .isEqualTo(3));
    assertThat(runtime.largeMessageSendMemoryInUse()).isBetween(3L * BLOB, 3L * BLOB + 1000);

    // a peer that reads its message gives back its share: the first sender waiting goes in (the
    // fourth), not both, as three frames are held again
    readBlob(peers.get(0));
    sends.get(3).get(10, TimeUnit.SECONDS);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> done(sends) == 4);
    readBlob(peers.get(1));
    sends.get(4).get(10, TimeUnit.SECONDS);

    for (int i = 2; i < 5; i++) {
      readBlob(peers.get(i));
    }
    awaitNothingHeld(runtime);
  }

  @Test
  void aSenderThatFindsTheMemoryTakenFailsNamingTheCauseAndOneWhoseConnectionClosesIsToldAtOnce()
      throws Exception {
    TetherRuntime runtime = runtime(64 * KIB + 1); // one large frame
    Server<Object, Object> server = server(runtime).bind(loopback());
    resources.track(server);
    RawPeer stuck = silentPeer(server);
    RawPeer other = silentPeer(server);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 2);
    serverSide(server, stuck).send(blob(1));
    Connection<Object, Object> connection = serverSide(server, other);

    assertThatThrownBy(() -> connection.send(blob(2), Duration.ofMillis(300)))
        .isInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("timed out after 300 ms")
        .hasMessageContaining("largeMessageSendMemory");
    assertThat(connection.trySend(blob(3))).isEqualTo(SendResult.BACK_PRESSURED);
    assertThatThrownBy(() -> connection.sendAsync(blob(4)).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class)
        .cause()
        .hasMessageContaining("largeMessageSendMemory");
    connection.send(new Blob(5, new byte[64 * KIB - 100])); // small frames never wait here
    assertThat(connection.isOpen()).as("a refused send leaves the connection up").isTrue();

    // a sender waiting its turn when its connection closes is told at once, not after its timeout
    RawPeer third = silentPeer(server);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 3);
    Connection<Object, Object> closing = serverSide(server, third);
    CompletableFuture<Void> waiting =
        CompletableFuture.runAsync(() -> closing.send(blob(7), Duration.ofSeconds(30)), pool);
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !waiting.isDone());
    third.resetAbruptly();
    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ConnectionClosedException.class);

    readBlob(stuck);
    connection.send(blob(6), Duration.ofSeconds(10));
    assertThat(other.readFrameSkippingControl().body()).hasSizeLessThan(64 * KIB);
    readBlob(other);
    awaitNothingHeld(runtime);
  }

  /**
   * A handler that runs on the event loop never waits: once the memory is taken, its large sends
   * are refused, naming the limit, as its small ones are, rather than counted past the limit (they
   * once were: a loop broadcasting large messages to peers that stopped reading held all it sent).
   */
  @Test
  void aHandlerOnTheLoopIsRefusedLargeSendsOnceTheMemoryIsTaken() throws Exception {
    int capacity = 512 * KIB;
    int size = 100 * KIB;
    TetherRuntime runtime = runtime(capacity);
    List<Connection<Object, Object>> silent = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> refusal = new CompletableFuture<>();
    CompletableFuture<Long> heldAtRefusal = new CompletableFuture<>();
    int[] accepted = new int[1];
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .handlersOnEventLoop()
                    .idleTimeout(Duration.ZERO)
                    .heartbeatInterval(Duration.ZERO)
                    .build())
            .runtime(runtime)
            .onMessage(
                (c, message) -> {
                  // at most 64 large frames, 6.4 MiB: far past the limit, within each peer's bound
                  try {
                    for (int i = 0; i < 64; i++) {
                      silent.get(i % silent.size()).send(new Blob(i, new byte[size]));
                      accepted[0]++;
                    }
                    refusal.complete(null);
                  } catch (RuntimeException e) {
                    heldAtRefusal.complete(runtime.largeMessageSendMemoryInUse());
                    refusal.complete(e);
                  }
                })
            .bind(loopback());
    resources.track(server);
    for (int i = 0; i < 4; i++) {
      RawPeer peer = RawPeer.connect(server.address(), 8192); // never reads
      resources.track(peer);
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 4);
    silent.addAll(server.connections());
    Connection<Object, Object> trigger =
        Tether.client(TestTypes.TYPES).config(TestTypes.QUIET).connect(server.address());
    resources.track(trigger);

    trigger.send(new Blob(-1, new byte[0]));

    assertThat(refusal.get(10, TimeUnit.SECONDS))
        .as("the loop's large sends, %d of them accepted", accepted[0])
        .isInstanceOf(TetherTimeoutException.class)
        .hasMessageContaining("refused without waiting")
        .hasMessageContaining("largeMessageSendMemory");
    assertThat(heldAtRefusal.get())
        .as("send memory held when the loop was refused (limit %d)", capacity)
        .isLessThan((long) capacity + size + KIB);
    assertThat(trigger.isOpen()).isTrue();
  }

  @Test
  void everyWayALargeFrameEndsGivesItsShareBack() throws Exception {
    // room for one large frame on each side, so that a share not given back stalls the next step
    TetherRuntime serverRuntime = runtime(64 * KIB + 1);
    TetherRuntime clientRuntime = runtime(64 * KIB + 1);
    Server<Object, Object> server =
        server(serverRuntime)
            .onMessage((c, message) -> {})
            .onRequest((c, request) -> new Blob(((Blob) request).seq(), new byte[BLOB]))
            .bind(loopback());
    resources.track(server);
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES)
            .config(config(Duration.ofSeconds(5)))
            .runtime(clientRuntime)
            .connect(server.address());
    resources.track(client);

    for (int round = 0; round < 3; round++) {
      client.send(blob(round)); // written, then gone
      Object response = client.request(blob(round)).get(10, TimeUnit.SECONDS); // both ways
      assertThat(((Blob) response).data()).hasSize(BLOB);
      client.sendAll(List.of(blob(10), new Blob(11, new byte[10]), blob(12))); // a run
      awaitNothingHeld(clientRuntime); // sendAsync does not wait for memory: it is refused
      client.sendAsync(blob(round)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    awaitNothingHeld(clientRuntime);
    awaitNothingHeld(serverRuntime);

    // frames still queued when their connection ends: a peer that does not read, then resets
    RawPeer stuck = silentPeer(server);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 2);
    serverSide(server, stuck).send(blob(20));
    assertThat(serverRuntime.largeMessageSendMemoryInUse()).isPositive();
    stuck.resetAbruptly();
    awaitNothingHeld(serverRuntime);
  }

  /**
   * A resumable session keeps what it wrote until the peer acknowledges it, to write it again on
   * the next socket: those frames count too, the bound holds through resets, and once everything is
   * acknowledged nothing is held.
   */
  @Test
  void framesKeptForReplayCountUntilAcknowledgedThroughResets() throws Exception {
    int frame = 300_000;
    TetherRuntime clientRuntime = runtime(MIB);
    List<Long> got = new CopyOnWriteArrayList<>();
    Server<Object, Object> server =
        server(runtime(64 * KIB + 1))
            .onMessage((c, m) -> got.add(((Blob) m).seq()))
            .bind(loopback());
    resources.track(server);
    FaultProxy proxy = new FaultProxy(server.address());
    resources.track(proxy);
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES)
            .config(config(Duration.ofSeconds(20)))
            .runtime(clientRuntime)
            .reconnect(ResumptionTest.FAST)
            .connect(proxy.address());
    resources.track(client);
    Thread resets = ResumptionTest.resetter(proxy, 100, 200);
    long mostInUse = 0;
    for (int i = 0; i < 60; i++) {
      client.send(new Blob(i, new byte[frame]));
      mostInUse = Math.max(mostInUse, clientRuntime.largeMessageSendMemoryInUse());
    }
    resets.interrupt();

    await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 60);
    assertThat(got).isSorted().doesNotHaveDuplicates();
    assertThat(mostInUse).isLessThanOrEqualTo(MIB + frame + 1000L);
    awaitNothingHeld(clientRuntime);
  }

  @Test
  void aRuntimeRefusesASendMemoryLimitBelowOneByte() {
    assertThatThrownBy(() -> TetherRuntime.builder().largeMessageSendMemory(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("largeMessageSendMemory must be at least 1 byte, not 0");
    assertThat(TetherRuntime.shared().largeMessageSendMemory())
        .isEqualTo(Math.max(1, Runtime.getRuntime().maxMemory() / 8));
  }

  private static Blob blob(long seq) {
    return new Blob(seq, new byte[BLOB]);
  }

  private static boolean waits(Thread thread) {
    return thread.getState() == Thread.State.TIMED_WAITING;
  }

  private static long done(List<CompletableFuture<Void>> sends) {
    return sends.stream().filter(CompletableFuture::isDone).count();
  }

  /** A peer that has shaken hands and reads nothing; its small receive buffer fills at once. */
  private RawPeer silentPeer(Server<?, ?> server) throws Exception {
    RawPeer peer = RawPeer.connect(server.address(), 8192);
    resources.track(peer);
    peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test").maxFrameSize(16L * MIB));
    return peer;
  }

  /** Reads frames up to a large DATA frame (larger than {@link RawPeer#readFrame} reads). */
  private static void readBlob(RawPeer peer) throws Exception {
    while (true) {
      ByteBuffer header = ByteBuffer.wrap(peer.readBytes(5));
      int length = header.getInt();
      byte[] body = peer.readBytes(length - 1);
      if (header.get() == RawPeer.DATA) {
        assertThat(body.length).isGreaterThan(BLOB);
        return;
      }
    }
  }

  private static Connection<Object, Object> serverSide(
      Server<Object, Object> server, RawPeer peer) {
    return server.connections().stream()
        .filter(c -> ((InetSocketAddress) c.peer().address()).getPort() == peer.localPort())
        .findFirst()
        .orElseThrow();
  }

  private TetherRuntime runtime(long largeMessageSendMemory) {
    TetherRuntime runtime =
        TetherRuntime.builder()
            .eventLoops(2)
            .largeMessageSendMemory(largeMessageSendMemory)
            .build();
    resources.track(runtime);
    return runtime;
  }

  private TetherConfig config(Duration sendTimeout) {
    return TetherConfig.builder()
        .codecs("test")
        .handlerExecutor(pool)
        .sendTimeout(sendTimeout)
        .idleTimeout(Duration.ZERO) // the silent peers must not be closed for it
        .heartbeatInterval(Duration.ZERO)
        .build();
  }

  private ServerBuilder<Object, Object> server(TetherRuntime runtime) {
    return Tether.server(TestTypes.TYPES).config(config(Duration.ofSeconds(20))).runtime(runtime);
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress("127.0.0.1", 0);
  }

  private static void awaitNothingHeld(TetherRuntime runtime) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(runtime.largeMessageSendMemoryInUse()).isZero());
  }
}
