package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests made while the peer's GOAWAY crosses them: each is answered or fails with the close,
 * none is left waiting for its timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestCloseRaceTest {
  @ParameterizedTest(name = "closed by the server: {0}")
  @ValueSource(booleans = {true, false})
  void requestsCrossingAGoAwayAreAnsweredOrFailAtOnce(boolean byServer) throws Exception {
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .requestTimeout(Duration.ofMinutes(10))
            .drainTimeout(Duration.ofSeconds(3))
            .build();
    for (int round = 0; round < 2; round++) {
      AtomicReference<Connection<Object, Object>> accepted = new AtomicReference<>();
      try (Server<Object, Object> server =
              Tether.server(TestTypes.TYPES)
                  .config(config)
                  .onConnection(accepted::set)
                  .onRequestAsync((c, m) -> CompletableFuture.supplyAsync(() -> m))
                  .bind(new InetSocketAddress("127.0.0.1", 0));
          Connection<Object, Object> client =
              Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
        await().until(() -> accepted.get() != null);
        ConcurrentLinkedQueue<CompletableFuture<Object>> made = new ConcurrentLinkedQueue<>();
        CountDownLatch started = new CountDownLatch(2);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          int base = t * 1_000_000;
          Thread thread =
              new Thread(
                  () -> {
                    started.countDown();
                    for (int i = 0; i < 20_000; i++) {
                      CompletableFuture<Object> f = client.request(new Msg("q", base + i));
                      made.add(f);
                      if (f.isCompletedExceptionally()) {
                        return;
                      }
                    }
                  });
          thread.start();
          threads.add(thread);
        }
        started.await();
        await().until(() -> made.size() > 2000);
        if (byServer) {
          accepted.get().closeAsync();
        } else {
          client.closeAsync();
        }
        for (Thread thread : threads) {
          thread.join(20_000);
          assertThat(thread.isAlive()).isFalse();
        }
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
        CompletableFuture.allOf(made.toArray(CompletableFuture[]::new))
            .exceptionally(e -> null)
            .get(10, TimeUnit.SECONDS);
        assertThat(client.metrics().pendingRequests()).isZero();
      }
    }
  }

  /**
   * A request made while a reconnecting client has no server waits for the server that comes back;
   * when the policy gives up instead, it fails then with the give-up, not at its own timeout.
   */
  @Test
  void aRequestWhileDetachedFailsWhenReconnectingIsGivenUp() throws Exception {
    Server<Object, Object> first =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    CountDownLatch detached = new CountDownLatch(1);
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES)
            .config(
                TetherConfig.builder()
                    .codecs("test")
                    .requestTimeout(Duration.ofMinutes(10))
                    .build())
            .reconnect(
                ReconnectPolicy.builder()
                    .backoff(Duration.ofMillis(20), Duration.ofMillis(50))
                    .giveUpAfter(Duration.ofMillis(500))
                    .build())
            .onReconnect(
                new ReconnectListener<>() {
                  @Override
                  public void onDisconnected(
                      Connection<Object, Object> c, ConnectionClosedException cause) {
                    detached.countDown();
                  }
                })
            .connect(first.address());
    try {
      assertThat(client.request(new Msg("q", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("q", 1));
      first.close();
      assertThat(detached.await(10, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Object> whileDetached = client.request(new Msg("q", 2));

      assertThatThrownBy(() -> whileDetached.get(20, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(ConnectionClosedException.class)
          .hasMessageContaining("gave up reconnecting");
      assertThat(client.metrics().pendingRequests()).isZero();
    } finally {
      client.closeAsync();
    }
  }
}
