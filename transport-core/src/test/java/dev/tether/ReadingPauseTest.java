package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a side that stopped reading (backpressure) makes of its peer's silence. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadingPauseTest {
  private static final Duration IDLE = Duration.ofSeconds(1);

  @Test
  void aPeersSilenceCountsFromWhenReadingResumesNotFromItsLastFrame() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    CompletableFuture<Long> closedAt = new CompletableFuture<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .handlerExecutor(pool)
                        .idleTimeout(IDLE)
                        .heartbeatInterval(Duration.ofMillis(300))
                        .maxQueuedInboundMessages(1)
                        .build())
                .onMessage(
                    (c, m) -> {
                      if (handled.incrementAndGet() == 1) {
                        try {
                          gate.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                    })
                .onClose((c, cause) -> closedAt.complete(System.nanoTime()))
                .bind(new InetSocketAddress("127.0.0.1", 0));
        RawPeer peer = RawPeer.connect(server.address())) {
      peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
      // two messages: the handler holds the first, the second fills the queue, and the server stops
      // reading; then the peer says nothing more, not even PONGs
      peer.writeData(2, blob(1));
      peer.writeData(2, blob(2));
      await().atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 1);
      // paused for three idle timeouts, the server does not take the peer for silent
      await()
          .during(IDLE.multipliedBy(3))
          .atMost(IDLE.multipliedBy(5))
          .until(() -> !closedAt.isDone());

      long resumed = System.nanoTime();
      gate.countDown(); // the queue makes room: the server reads again, and hears nothing

      long silentFor = closedAt.get(10, TimeUnit.SECONDS) - resumed;
      assertThat(handled.get()).isEqualTo(2);
      assertThat(Duration.ofNanos(silentFor))
          .isGreaterThanOrEqualTo(IDLE.multipliedBy(9).dividedBy(10));
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] blob(long seq) {
    return ByteBuffer.allocate(8 + 4 + 16).putLong(seq).putInt(16).array();
  }
}
