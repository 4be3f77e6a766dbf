package dev.tether.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.Connection;
import dev.tether.ConnectionClosedException;
import dev.tether.Server;
import dev.tether.Tether;
import dev.tether.TetherConfig;
import dev.tether.testing.ChaosRoute;
import dev.tether.testing.Msg;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A socket failure over TLS is told as the socket's failure, whichever thread met it first. A send
 * that writes from its own thread and meets a reset leaves the failure for the loop; the TLS layer
 * then refuses every later read or write with a bare "closed", and the close must still say what
 * happened rather than "null".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsSocketFailureTest {
  private final TestPki pki = TestPki.shared();

  @Test
  void aResetMetByADirectSendClosesTheConnectionNamingTheReset() throws Exception {
    CompletableFuture<ConnectionClosedException> closed = new CompletableFuture<>();
    TetherConfig config =
        TetherConfig.builder().codecs("test").idleTimeout(Duration.ofSeconds(20)).build();
    try (Server<Object, Object> server =
            Tether.server(TestTypes.TYPES)
                .config(config)
                .tls(pki.serverTls().build())
                .onRequest((c, m) -> m)
                .bind(new InetSocketAddress("127.0.0.1", 0));
        ChaosRoute route = new ChaosRoute(server.address());
        Connection<Object, Object> client =
            Tether.client(TestTypes.TYPES)
                .config(config)
                .tls(pki.clientTls().build())
                .onClose((c, cause) -> closed.complete(cause))
                .connect(route.address())) {
      assertThat(client.request(new Msg("up", 0)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("up", 0));
      RealConnection<?, ?> connection = (RealConnection<?, ?>) client;

      // the client's loop is held, so that the send below is the first to meet the reset
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      connection.loop.execute(
          () -> {
            held.countDown();
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
      route.resetAll();
      for (int i = 0; i < 3; i++) {
        client.send(new Msg("into the reset", i)); // written from this thread, or queued
        ChaosRoute.pause(5); // apart, so that each is written directly, not as a burst
      }
      release.countDown();

      ConnectionClosedException cause = closed.get(10, TimeUnit.SECONDS);
      assertThat(cause.getMessage())
          .doesNotContain("null")
          .containsAnyOf("Connection reset", "Broken pipe");
    }
  }
}
