package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Request timeouts are timers on the connection's loop that vanish when the response arrives. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestTimersTest {
  @Test
  void completedRequestsLeaveNoTimerBehind() throws Exception {
    try (TetherRuntime runtime = TetherRuntime.builder().eventLoops(2).build();
        Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .runtime(runtime)
                .codecs("test")
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .runtime(runtime)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .requestTimeout(Duration.ofSeconds(30))
                        .build())
                .connect(server.address())) {
      for (int round = 0; round < 20; round++) {
        List<CompletableFuture<Object>> answers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          answers.add(client.request(new Msg("q", i)));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
            .get(20, TimeUnit.SECONDS);
      }

      // the old engine kept 20,000 cancelled tasks in a global scheduler for the full 30 s;
      // what remains here is each connection's own timer (client and server side)
      assertThat(runtime.group().timerCount()).isLessThanOrEqualTo(2);
    }
  }

  @Test
  void durationsNearTheLimitOfLongDoNotOverflow() throws Exception {
    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    TetherConfig patient =
        TetherConfig.builder()
            .codecs("test")
            .sendTimeout(forever)
            .requestTimeout(forever)
            .connectTimeout(forever)
            .handshakeTimeout(forever)
            .drainTimeout(Duration.ofSeconds(Long.MAX_VALUE / 2))
            .build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(patient)
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES).config(patient).connect(server.address())) {
      // the old engine threw ArithmeticException (Duration.toNanos) or timed out at once
      assertThat(client.request(new Msg("q", 1), forever).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("q", 1));
      client.send(new Msg("m", 2), forever);
      assertThat(client.request(new Msg("q", 3)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("q", 3));
    }
  }
}
