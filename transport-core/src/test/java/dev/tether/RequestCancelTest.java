package dev.tether;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A request future that the application completes itself (cancel, {@code orTimeout}, {@code
 * complete}) is a request it no longer waits for: the connection forgets it at once, and its late
 * answer is dropped quietly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestCancelTest {
  private static final int REQUESTS = 3000;

  @Test
  void requestsTheApplicationGaveUpOnAreForgottenAndTheirLateAnswersDropped() throws Exception {
    List<CompletableFuture<Object>> held = new CopyOnWriteArrayList<>();
    try (TetherRuntime runtime = TetherRuntime.builder().eventLoops(1).build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .maxQueuedInboundMessages(4 * REQUESTS)
                        .build())
                .onRequestAsync(
                    (c, m) -> {
                      if (((Msg) m).text().equals("now")) {
                        return CompletableFuture.completedFuture(m);
                      }
                      CompletableFuture<Object> answer = new CompletableFuture<>();
                      held.add(answer);
                      return answer;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .runtime(runtime)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .requestTimeout(Duration.ofMinutes(10))
                        .build())
                .connect(server.address())) {
      for (int i = 0; i < REQUESTS; i++) {
        // every other one typed: giving up on the typed future gives up on the request
        CompletableFuture<?> response =
            i % 2 == 0
                ? client.request(new Msg("q", i))
                : client.request(new Msg("q", i), Msg.class, Duration.ofMinutes(10));
        switch (i % 4) {
          case 0 -> response.cancel(true);
          case 1 -> response.cancel(false);
          case 2 -> response.obtrudeValue(null);
          default -> response.completeExceptionally(new IllegalStateException("given up"));
        }
      }
      CompletableFuture<Object> timedOut =
          client.request(new Msg("q", -1)).orTimeout(50, TimeUnit.MILLISECONDS);
      CompletableFuture<Msg> typedTimedOut =
          client.request(new Msg("q", -2), Msg.class).completeOnTimeout(null, 50, MILLISECONDS);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> timedOut.isDone() && typedTimedOut.isDone());

      // the requests the application gave up on are no longer awaited, nor their timers kept
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(client.metrics().pendingRequests()).isZero();
                // each connection's own timer (client and server side)
                assertThat(runtime.group().timerCount()).isLessThanOrEqualTo(2);
              });

      // their answers come late and are dropped: the connection stays up and answers on
      await().atMost(Duration.ofSeconds(20)).until(() -> held.size() == REQUESTS + 2);
      for (CompletableFuture<Object> answer : held) {
        answer.complete(new Msg("late", 0));
      }
      assertThat(client.request(new Msg("now", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("now", 1));
      assertThat(client.isOpen()).isTrue();
    }
  }

  /**
   * A pool's request to a peer it has yet to connect to returns a future of its own, fed by the
   * connection's once connected: giving up on it gives up on the request on the connection.
   */
  @Test
  void aPoolRequestGivenUpOnWhileItsConnectionWasMadeIsForgotten() throws Exception {
    List<CompletableFuture<Object>> held = new CopyOnWriteArrayList<>();
    try (Server<Object, Object> peer =
            Tether.server(TestTypes.TYPES)
                .config(TetherConfig.builder().codecs("test").nodeId(1).build())
                .onRequestAsync(
                    (c, m) -> {
                      CompletableFuture<Object> answer = new CompletableFuture<>();
                      held.add(answer);
                      return answer;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        PeerPool<Object, Object> pool =
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .nodeId(2)
                        .requestTimeout(Duration.ofMinutes(10))
                        .build())
                .peerPool(
                    new PeerAddresses().put(1, peer.address()),
                    PeerPool.DEFAULT_FIRST_RETRY_DELAY,
                    PeerPool.DEFAULT_MAX_RETRY_DELAY)) {
      CompletableFuture<Object> untyped = pool.request(1, new Msg("q", 1));
      CompletableFuture<Msg> typed = pool.request(1, new Msg("q", 2), Msg.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 2);
      Connection<Object, Object> connection = pool.openConnection(1).orElseThrow();
      assertThat(connection.metrics().pendingRequests()).isEqualTo(2);

      untyped.cancel(true);
      typed.orTimeout(1, MILLISECONDS);

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(connection.metrics().pendingRequests()).isZero());
      held.forEach(answer -> answer.complete(new Msg("late", 0)));
      assertThat(pool.request(1, new Msg("now", 3)).isDone()).isFalse();
      assertThat(connection.isOpen()).isTrue();
    }
  }
}
