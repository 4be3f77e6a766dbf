package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.Connection;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.testing.Blob;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A sender streaming to a peer that reads more slowly than it sends keeps the socket full. The loop
 * then writes when the selector reports room, and only then: a send that finds the socket full does
 * not wake the loop to try again. The engine that did woke it for every batch a sender queued, and
 * each wake-up copied up to 256 KiB to be told the socket had no room (one-way json, two JVMs:
 * 5,400 such writes a second, a third of the sending side's loop).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowConsumerWriteTest {
  /** 16 MiB: the sender fills its socket within milliseconds and then streams into a full one. */
  private static final int MESSAGES = 16_000;

  @Test
  void aFullSocketIsWrittenWhenItHasRoomNotEverySendIntoIt() throws Exception {
    AtomicLong received = new AtomicLong();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .handlersOnPool()
            .maxQueuedInboundMessages(64)
            .maxQueuedOutboundBytes(16 * 1024 * 1024)
            .sendTimeout(Duration.ofSeconds(10))
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onMessage(
                    (c, m) -> {
                      // a slow consumer: the client's socket stays full, and its queue too
                      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
                      received.incrementAndGet();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      byte[] payload = new byte[1024];
      for (int i = 0; i < MESSAGES; i++) {
        client.send(new Blob(i, payload));
      }
      await().atMost(Duration.ofSeconds(45)).until(() -> received.get() == MESSAGES);

      SocketIo io = ((RealConnection<?, ?>) client).io();
      long writes = io.writes.sum();
      long refused = io.refusedWrites.sum();
      assertThat(writes).as("the client loop's writes that the socket took bytes of").isPositive();
      // 0-3 here, against 300 refused for 174 that wrote when every queued batch woke the loop,
      // and 47 for 71 in a loaded CI run while a send during the loop's write still scheduled a
      // flush of its own, which ran after that write had filled the socket
      assertThat(refused)
          .as(
              "the client loop's writes refused by a full socket (%d, against %d that wrote)",
              refused, writes)
          .isLessThanOrEqualTo(Math.max(10, writes / 10));
    }
  }
}
