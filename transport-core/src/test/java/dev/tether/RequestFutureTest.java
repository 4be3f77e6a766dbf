package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestFutureTest {
  @Test
  void dependentActionsOfAResponseNeverRunOnAnEventLoop() throws Exception {
    CompletableFuture<Object> answer = new CompletableFuture<>();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .onRequestAsync((c, m) -> answer)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
      CompletableFuture<Object> response = client.request(new Msg("q", 1));
      // registered before completion: a plain CompletableFuture would run these on the thread
      // that completes it, which is the event loop reading the RESPONSE
      CompletableFuture<String> applied = response.thenApply(r -> Thread.currentThread().getName());
      CompletableFuture<String> handled =
          response.handle((r, e) -> Thread.currentThread().getName());

      answer.complete(new Msg("a", 1));

      assertThat(response.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("a", 1));
      assertThat(applied.get(10, TimeUnit.SECONDS)).doesNotStartWith("tether-loop");
      assertThat(handled.get(10, TimeUnit.SECONDS)).doesNotStartWith("tether-loop");
      assertThat(response.thenApply(r -> r).get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("a", 1));
    }
  }

  /**
   * A request's message is the application's to drop once written, while its answer is awaited;
   * only a reconnecting client keeps it, to ask the server that comes back after a shutdown.
   */
  @ParameterizedTest(name = "reconnecting: {0}")
  @ValueSource(booleans = {false, true})
  void anAwaitedRequestKeepsItsMessageOnlyOnAReconnectingClient(boolean reconnecting)
      throws Exception {
    CompletableFuture<Object> answer = new CompletableFuture<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequestAsync((c, m) -> answer)
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      ClientBuilder<Object, Object> builder = Tether.client(TestTypes.TYPES).codecs("test");
      if (reconnecting) {
        builder.reconnect(ResumptionTest.FAST);
      }
      try (Connection<Object, Object> client = builder.connect(server.address())) {
        WeakReference<Blob> sent = new WeakReference<>(new Blob(1, new byte[1 << 20]));
        CompletableFuture<Object> response = client.request(sent.get(), Duration.ofMinutes(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.metrics().bytesSent() > 1 << 20);
        if (reconnecting) {
          for (int i = 0; i < 3; i++) {
            System.gc();
          }
          assertThat(sent.get()).as("kept while awaited").isNotNull();
        } else {
          await()
              .atMost(Duration.ofSeconds(10))
              .until(
                  () -> {
                    System.gc();
                    return sent.get() == null;
                  });
        }
        assertThat(response).isNotDone();
        answer.complete(new Msg("a", 1));
        assertThat(response.get(10, TimeUnit.SECONDS)).isEqualTo(new Msg("a", 1));
      }
    }
  }
}
