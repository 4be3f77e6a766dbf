package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request timeouts fire on time with tens of thousands outstanding and a responder that holds the
 * ones it read unanswered (and so reads no more): each fails with its timeout, none lingers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestTimeoutLoadTest {
  @Test
  void manyOutstandingRequestsTimeOutOnTimeAndLeaveNothingBehind() throws Exception {
    int requests = 50_000;
    try (TetherRuntime runtime = TetherRuntime.builder().eventLoops(1).build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .config(TestTypes.QUIET)
                .onRequestAsync((c, m) -> new CompletableFuture<>())
                .bind(new InetSocketAddress("127.0.0.1", 0))) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES)
              .runtime(runtime)
              .config(
                  TestTypes.QUIET.toBuilder()
                      .requestTimeout(Duration.ofSeconds(1))
                      .drainTimeout(Duration.ofMillis(500))
                      .build())
              .connect(server.address());
      AtomicLong worstLateness = new AtomicLong();
      AtomicInteger timedOut = new AtomicInteger();
      AtomicInteger other = new AtomicInteger();
      for (int i = 0; i < requests; i++) {
        long sent = System.nanoTime();
        client
            .request(new Msg("q", i))
            .whenComplete(
                (r, e) -> {
                  if (e instanceof TetherTimeoutException) {
                    timedOut.incrementAndGet();
                  } else {
                    other.incrementAndGet();
                  }
                  worstLateness.accumulateAndGet(
                      System.nanoTime() - sent - TimeUnit.SECONDS.toNanos(1), Math::max);
                });
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> timedOut.get() + other.get() == requests);
      assertThat(other.get()).isZero();
      assertThat(client.metrics().pendingRequests()).isZero();
      assertThat(worstLateness.get()).isLessThan(TimeUnit.SECONDS.toNanos(3));
      assertThat(client.isOpen()).isTrue();
      // the server never answers what it took: the close says so when its drain deadline passes
      ConnectionClosedException closed =
          client.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(closed.reason()).contains("drain deadline");
    }
  }
}
