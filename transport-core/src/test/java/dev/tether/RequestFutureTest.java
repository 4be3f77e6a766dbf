package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

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
}
