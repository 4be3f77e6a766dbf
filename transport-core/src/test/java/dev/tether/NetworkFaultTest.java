package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad networks, simulated by an in-process proxy between a real client and a real server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkFaultTest {
  private Server<Object, Object> server;
  private FaultProxy proxy;
  private final AtomicLong received = new AtomicLong();

  @BeforeEach
  void start() throws Exception {
    server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> received.incrementAndGet())
            .onRequest((c, m) -> m)
            .bind(new InetSocketAddress("127.0.0.1", 0));
    proxy = new FaultProxy(server.address());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    server.close(Duration.ofSeconds(2));
  }

  @Test
  void everythingArrivesWhenTheNetworkDeliversOneByteAtATime() throws Exception {
    proxy.mode(FaultProxy.Mode.FRAGMENT);
    try (Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).codecs("test").connect(proxy.address())) {
      for (int i = 0; i < 200; i++) {
        client.send(new Msg("fragmented " + i, i));
      }
      Object response = client.request(new Blob(1, new byte[3000])).get(30, TimeUnit.SECONDS);

      assertThat(((Blob) response).data()).hasSize(3000);
      await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 200);
    }
  }

  @Test
  void blackHoledRouteIsDetectedByTheIdleTimeoutAndFailsOutstandingRequests() throws Exception {
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .heartbeatInterval(Duration.ofMillis(100))
            .idleTimeout(Duration.ofMillis(600))
            .drainTimeout(Duration.ofMillis(500))
            .build();
    Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).config(config).connect(proxy.address());
    assertThat(client.request(new Msg("before", 1)).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("before", 1));

    proxy.mode(FaultProxy.Mode.BLACK_HOLE);
    CompletableFuture<Object> lost = client.request(new Msg("into the void", 2));

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.IDLE_TIMEOUT);
    assertThat(cause.isRemote()).isFalse();
    assertThat(cause.reason()).contains("no frame received").contains("idle timeout 600 ms");
    assertThatThrownBy(() -> lost.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ConnectionClosedException.class)
        .hasMessageContaining("IDLE_TIMEOUT");
  }

  @Test
  void resetConnectionFailsOutstandingRequestsAtOnceAndSaysNoGoAwayCame() throws Exception {
    Server<Object, Object> silent =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onRequestAsync((c, m) -> new CompletableFuture<>())
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try (FaultProxy toSilent = new FaultProxy(silent.address())) {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(toSilent.address());
      CompletableFuture<Object> pending = client.request(new Msg("never answered", 1));

      toSilent.resetAll();

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(cause.isRemote()).isTrue();
      assertThat(cause.rawCode()).isEqualTo(-1);
      assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(ConnectionClosedException.class);
      assertThatThrownBy(() -> client.send(new Msg("after", 2)))
          .isInstanceOf(ConnectionClosedException.class);
    } finally {
      silent.close(Duration.ofSeconds(2));
    }
  }

  @Test
  void slowNetworkStillDeliversInOrder() throws Exception {
    proxy.delayMillis(2);
    try (Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).codecs("test").connect(proxy.address())) {
      for (int i = 0; i < 500; i++) {
        client.send(new Msg("slow", i));
      }
      assertThat(client.request(new Msg("last", 500)).get(30, TimeUnit.SECONDS))
          .isEqualTo(new Msg("last", 500));
      await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 500);
    }
  }
}
