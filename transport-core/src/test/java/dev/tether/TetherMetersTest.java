package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.metrics.TetherMeters;
import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
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
}
