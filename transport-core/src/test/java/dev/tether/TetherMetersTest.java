package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.metrics.RuntimeMeters;
import dev.tether.metrics.TetherMeters;
import dev.tether.testing.Blob;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TetherMetersTest {
  @Test
  void publishesConnectionsMessagesAndBytesOfAServer() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onMessage((c, m) -> c.send(m))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {
      new TetherMeters(server).bindTo(registry);
      try (Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
        for (int i = 0; i < 10; i++) {
          client.send(new Msg("m", i));
        }
        for (int i = 0; i < 10; i++) {
          assertThat(client.receive(Duration.ofSeconds(10))).isNotNull();
        }
        assertThat(registry.get("tether.connections").gauge().value()).isEqualTo(1.0);
        assertThat(
                registry
                    .get("tether.messages")
                    .tag("direction", "received")
                    .functionCounter()
                    .count())
            .isEqualTo(10.0);
        assertThat(
                registry.get("tether.messages").tag("direction", "sent").functionCounter().count())
            .isEqualTo(10.0);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> registry.get("tether.connections").gauge().value() == 0.0);
      assertThat(
              registry.get("tether.bytes").tag("direction", "received").functionCounter().count())
          .isGreaterThan(10 * 5);
      assertThat(registry.get("tether.connections.accepted").functionCounter().count())
          .isEqualTo(1.0);
      assertThat(registry.get("tether.handshakes.refused").functionCounter().count()).isZero();
    }
  }

  @Test
  void publishesTheMemoryOfARuntimeForLargeMessages() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TetherRuntime runtime =
        TetherRuntime.builder()
            .largeMessageMemory(3_000_000)
            .largeMessageSendMemory(2_000_000)
            .build()) {
      new RuntimeMeters(runtime).bindTo(registry);
      assertThat(gauge(registry, "limit", "received")).isEqualTo(3_000_000.0);
      assertThat(gauge(registry, "limit", "sent")).isEqualTo(2_000_000.0);
      assertThat(gauge(registry, "used", "received")).isZero();
      assertThat(gauge(registry, "used", "sent")).isZero();

      CountDownLatch handling = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      try (Server<Object, Object> server =
              Tether.server(TestTypes.TYPES)
                  .codecs("test")
                  .runtime(runtime)
                  .onMessage(
                      (c, m) -> {
                        handling.countDown();
                        release.await(10, TimeUnit.SECONDS);
                      })
                  .bind(new InetSocketAddress("127.0.0.1", 0));
          Connection<Object, Object> client =
              Tether.client(TestTypes.TYPES).codecs("test").connect(server.address())) {
        client.send(new Blob(1, new byte[1_000_000]));
        assertThat(handling.await(10, TimeUnit.SECONDS)).isTrue();
        // the frame is held while its handler runs
        assertThat(gauge(registry, "used", "received")).isGreaterThan(1_000_000.0);
        release.countDown();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> gauge(registry, "used", "received") == 0.0);
      }
    }
  }

  private static double gauge(SimpleMeterRegistry registry, String what, String direction) {
    return registry.get("tether.memory.large." + what).tag("direction", direction).gauge().value();
  }
}
