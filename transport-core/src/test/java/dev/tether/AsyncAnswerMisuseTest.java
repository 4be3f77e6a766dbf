package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An asynchronous request handler's stage completed late, twice, from other threads, with odd
 * failures or with what is not a message: each has one defined outcome on both sides.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncAnswerMisuseTest {
  @Test
  void oddCompletionsOfAnAsyncAnswerAreEachAnsweredOnceAndTheConnectionStaysUp() throws Exception {
    Map<Long, CompletableFuture<Object>> held = new ConcurrentHashMap<>();
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .heartbeatInterval(Duration.ZERO)
            .idleTimeout(Duration.ZERO)
            .drainTimeout(Duration.ofSeconds(1))
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .onRequestAsync(
                    (c, m) -> {
                      CompletableFuture<Object> answer = new CompletableFuture<>();
                      held.put(((Msg) m).seq(), answer);
                      return answer;
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(config).connect(server.address())) {
      // an Error without a message, from another thread
      CompletableFuture<Object> error = client.request(new Msg("q", 1));
      await().until(() -> held.containsKey(1L));
      Thread t = new Thread(() -> held.get(1L).completeExceptionally(new AssertionError()));
      t.start();
      t.join(10_000);
      assertFailed(error, "AssertionError");

      // a value that is not a registered message
      CompletableFuture<Object> foreign = client.request(new Msg("q", 2));
      await().until(() -> held.containsKey(2L));
      held.get(2L).complete("a string");
      assertFailed(foreign, "String");

      // completed twice: the first counts
      CompletableFuture<Object> twice = client.request(new Msg("q", 3));
      await().until(() -> held.containsKey(3L));
      held.get(3L).complete(new Msg("first", 3));
      held.get(3L).obtrudeValue(new Msg("second", 3));
      assertThat(twice.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("first", 3));

      // completed after the requester timed out: the late answer is dropped
      CompletableFuture<Object> late = client.request(new Msg("q", 4), Duration.ofMillis(100));
      await().until(() -> held.containsKey(4L));
      assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(TetherTimeoutException.class);
      held.get(4L).complete(new Blob(4, new byte[100_000]));

      CompletableFuture<Object> after = client.request(new Msg("q", 5));
      await().until(() -> held.containsKey(5L));
      held.get(5L).complete(new Msg("after", 5));
      assertThat(after.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("after", 5));
      assertThat(client.isOpen()).isTrue();

      // completed after the connection closed (the server waited the drain timeout for it): nothing
      // is answered, nothing is thrown at the application
      CompletableFuture<Object> orphan = client.request(new Msg("q", 6));
      await().until(() -> held.containsKey(6L));
      ConnectionClosedException closed =
          client.closeAsync().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(closed.code()).isEqualTo(GoAwayCode.NORMAL);
      assertThatThrownBy(() -> orphan.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(ConnectionClosedException.class);
      assertThat(held.get(6L).complete(new Msg("too late", 6))).isTrue();
    }
  }

  private static void assertFailed(CompletableFuture<Object> response, String text) {
    assertThatThrownBy(() -> response.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(RequestFailedException.class)
        .hasMessageContaining(text);
  }
}
