package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.ServerProcess;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Received messages the application has not taken yet are bounded for the whole runtime, not only
 * per connection: many peers that each fill their connection's inbound queue while the application
 * takes nothing must not run the server out of heap. Small frames draw on the runtime's shared
 * memory ({@link TetherRuntime.Builder#largeMessageMemory}) beyond a small allowance per
 * connection, as large ones always did; when it is spent, connections stop reading and their peers
 * feel TCP backpressure.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class InboundMemoryTest {
  private static final int CLIENTS = 24;

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
  void aServerOnASmallHeapWhoseApplicationTakesNothingFromManyClientsStaysWithinItsHeap()
      throws Exception {
    // the server has no message handler and nobody calls receive(): every message it reads waits.
    // 24 connections may each queue 16 MiB (maxQueuedInboundBytes): 384 MiB of a 96 MiB heap
    ServerProcess server = ServerProcess.start(96, null, null);
    closeables.add(server);
    String text = "x".repeat(60 * 1024); // under the 64 KiB over which frames always drew on it
    TetherConfig config = TetherConfig.builder().codecs("test").build();
    AtomicLong accepted = new AtomicLong();
    List<CompletableFuture<Void>> senders = new ArrayList<>();
    List<Connection<Object, Object>> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).config(config).connect(server.address());
      clients.add(client);
      senders.add(
          CompletableFuture.runAsync(
              () -> {
                // until the server stops reading and the client's own queue is full for 2 s
                for (int k = 0; k < 600; k++) {
                  try {
                    client.send(new Msg(text, k), Duration.ofSeconds(2));
                  } catch (TetherException e) {
                    assertThat(e.getMessage()).contains("2000 ms");
                    return;
                  }
                  accepted.incrementAndGet();
                }
              },
              pool));
    }
    CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(server.process().isAlive()).as("the server's JVM").isTrue();
    // what the server holds: the runtime's memory (an eighth of the heap) and a small allowance per
    // connection, not 24 full queues
    long heap = server.ask("gc");
    assertThat(heap).as("heap used after GC").isLessThan(48L * 1024 * 1024);
    // and it still serves a newcomer, whose messages need nothing from the memory the others hold
    try (Connection<Object, Object> newcomer =
        Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      assertThat(newcomer.request(new Msg("hello", 1)).get(20, TimeUnit.SECONDS))
          .isEqualTo(new Msg("n=0 hello", 1));
    }
    server.close(); // it never took what they sent, so their closes end when it is gone
    for (Connection<Object, Object> client : clients) {
      try {
        client.close();
      } catch (ConnectionClosedException e) {
        assertThat(e.getMessage()).contains("never written");
      }
    }
    System.out.printf(
        "%d clients had %d messages of 60 KiB accepted before the server stopped reading; its heap"
            + " held %d MiB after GC%n",
        CLIENTS, accepted.get(), heap >> 20);
  }

  @Test
  void connectionsContendingForATinyMemoryGetEveryMessageInOrderAndGiveItAllBack()
      throws Exception {
    // 192 KiB for 8 connections whose handlers stall now and then: queues fill past their 64 KiB,
    // wait for each other's steps, are taken from while they wait, and go on
    TetherRuntime runtime =
        TetherRuntime.builder().eventLoops(2).largeMessageMemory(3L * 64 * 1024).build();
    closeables.add(runtime);
    Map<Object, Long> next = new ConcurrentHashMap<>();
    StringBuffer problems = new StringBuffer();
    AtomicLong handled = new AtomicLong();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .handlerExecutor(TetherConfig.HANDLER_POOL) // so that the queues fill
                    .build())
            .runtime(runtime)
            .onMessage(
                (c, m) -> {
                  long seq = ((Msg) m).seq();
                  long expected = next.getOrDefault(c, 0L);
                  if (seq != expected) {
                    problems.append(c).append(": ").append(seq).append(" after ").append(expected);
                  }
                  next.put(c, seq + 1);
                  handled.incrementAndGet();
                  if (seq % 500 == 499) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // falls behind
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0));
    closeables.add(server);
    String text = "y".repeat(1000);
    int perClient = 4_000;
    List<CompletableFuture<Void>> senders = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
      closeables.add(client);
      long seed = i;
      senders.add(
          CompletableFuture.runAsync(
              () -> {
                Random random = new Random(seed);
                for (int k = 0; k < perClient; k++) {
                  client.send(new Msg(text, k));
                  if (random.nextInt(1000) == 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                  }
                }
              },
              pool));
    }
    AtomicLong peak = new AtomicLong();
    CompletableFuture<Void> all =
        CompletableFuture.allOf(senders.toArray(CompletableFuture[]::new));
    while (!all.isDone()) {
      peak.accumulateAndGet(runtime.largeMessageMemoryInUse(), Math::max);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // sampling, not waiting
    }
    all.get(60, TimeUnit.SECONDS);

    assertThat(peak.get()).as("the memory the queues drew at their peak").isPositive();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(handled.get()).isEqualTo(8L * perClient));
    assertThat(problems.toString()).as("out of order").isEmpty();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(runtime.largeMessageMemoryInUse()).as("memory held").isZero());
  }
}
