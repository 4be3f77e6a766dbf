package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests go through the connection's serial queue like messages, whether or not there is a
 * message handler: one at a time, in order, bounded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestDispatchTest {
  @Test
  void requestsWithoutAMessageHandlerRunOneAtATimeInOrder() throws Exception {
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    List<Long> order = new ArrayList<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onRequest(
                    (c, m) -> {
                      maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                      synchronized (order) {
                        order.add(((Msg) m).seq());
                      }
                      active.decrementAndGet();
                      return m;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      List<CompletableFuture<Object>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        answers.add(client.request(new Msg("q", i)));
      }
      for (int i = 0; i < 300; i++) {
        assertThat(answers.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("q", i));
      }

      assertThat(maxActive.get()).as("requests running at once").isEqualTo(1);
      synchronized (order) {
        for (int i = 0; i < 300; i++) {
          assertThat(order.get(i)).isEqualTo(i);
        }
      }
    }
  }

  @Test
  void blockedRequestsAreBoundedByTheInboundQueueAndTakeNoThreadEach() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    TetherConfig config =
        TetherConfig.builder().codecs("test").maxQueuedInboundMessages(16).build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onRequest(
                    (c, m) -> {
                      started.incrementAndGet();
                      release.await();
                      return m;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      int threadsBefore = Thread.activeCount();
      List<CompletableFuture<Object>> answers = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        answers.add(client.request(new Msg("q", i)));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> server.connections().size() == 1);
      Connection<Object, Object> serverSide = server.connections().get(0);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> serverSide.metrics().queuedInboundMessages() >= 15);

      // the old engine started every request on its own pool thread: 1000 blocked threads
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> started.get() == 1 && serverSide.metrics().queuedInboundMessages() <= 16);
      assertThat(Thread.activeCount() - threadsBefore).isLessThan(20);

      release.countDown();
      for (int i = 0; i < 1000; i++) {
        assertThat(answers.get(i).get(20, TimeUnit.SECONDS)).isEqualTo(new Msg("q", i));
      }
    }
  }
}
