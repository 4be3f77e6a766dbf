package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Blob;
import dev.tether.testing.FaultProxy;
import dev.tether.testing.Msg;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad networks under TLS: the fault proxy forwards the encrypted bytes, as a network would. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsNetworkFaultTest {
  private final TestPki pki = TestPki.shared();
  private Server<Object, Object> server;
  private FaultProxy proxy;
  private final AtomicLong received = new AtomicLong();

  @BeforeEach
  void start() throws Exception {
    server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(pki.serverTls().requireClientCertificate().build())
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

  private ClientBuilder<Object, Object> client() {
    return Tether.client(TestTypes.TYPES)
        .codecs("test")
        .tls(pki.client("node-1").presenting().trustCertificates(pki.caFile()).build());
  }

  @Test
  void handshakeAndMessagesSurviveDeliveryOneByteAtATime() throws Exception {
    proxy.mode(FaultProxy.Mode.FRAGMENT);
    Connection<Object, Object> client = client().connect(proxy.address());
    for (int i = 0; i < 200; i++) {
      client.send(new Msg("fragmented " + i, i));
    }
    Object response = client.request(new Blob(1, new byte[40_000])).get(30, TimeUnit.SECONDS);

    assertThat(((Blob) response).data()).hasSize(40_000);
    await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 200);
    assertThat(client.peer().tlsProtocol()).isEqualTo("TLSv1.3");

    client.close(); // close_notify and GOAWAY, one byte at a time too
    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.NORMAL);
    assertThat(cause.isGraceful()).isTrue();
  }

  @Test
  void slowNetworkStillDeliversInOrder() throws Exception {
    proxy.delayMillis(2);
    try (Connection<Object, Object> client = client().connect(proxy.address())) {
      for (int i = 0; i < 300; i++) {
        client.send(new Msg("slow", i));
      }
      assertThat(client.request(new Msg("last", 300)).get(30, TimeUnit.SECONDS))
          .isEqualTo(new Msg("last", 300));
      await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 300);
    }
  }

  @Test
  void blackHoledRouteIsDetectedByTheIdleTimeout() throws Exception {
    TetherConfig config =
        TetherConfig.builder()
            .codecs("test")
            .heartbeatInterval(Duration.ofMillis(100))
            .idleTimeout(Duration.ofMillis(600))
            .drainTimeout(Duration.ofMillis(500))
            .build();
    Connection<Object, Object> client = client().config(config).connect(proxy.address());
    assertThat(client.request(new Msg("before", 1)).get(10, TimeUnit.SECONDS))
        .isEqualTo(new Msg("before", 1));

    proxy.mode(FaultProxy.Mode.BLACK_HOLE);

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cause.code()).isEqualTo(GoAwayCode.IDLE_TIMEOUT);
  }

  @Test
  void handshakeIntoABlackHoleFailsWithinTheHandshakeTimeout() {
    proxy.mode(FaultProxy.Mode.BLACK_HOLE);
    long start = System.nanoTime();

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                client()
                    .config(
                        TetherConfig.builder()
                            .codecs("test")
                            .handshakeTimeout(Duration.ofMillis(500))
                            .build())
                    .connect(proxy.address()))
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("the TLS handshake with")
        .hasMessageContaining("did not complete within the handshake timeout of 500 ms");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
  }
}
