package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Connection#peer()}'s heartbeat interval and idle timeout are the peer's, as it announced
 * them, whether they are the same as this side's or not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerInfoTest {
  private final Resources resources = new Resources();

  @AfterEach
  void close() {
    resources.close();
  }

  @Test
  void eachSideReportsThePeersHeartbeatAndIdleTimeout() {
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .heartbeatInterval(Duration.ofMillis(1500))
                        .idleTimeout(Duration.ofMillis(4500))
                        .build())
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        resources.track(
            Tether.client(TestTypes.TYPES)
                .config(
                    TetherConfig.builder()
                        .codecs("test")
                        .heartbeatInterval(Duration.ofMillis(700))
                        .idleTimeout(Duration.ofSeconds(9))
                        .build())
                .connect(server.address()));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.connections().size() == 1);
    Connection<Object, Object> accepted = server.connections().iterator().next();

    assertThat(client.peer().heartbeatInterval()).isEqualTo(Duration.ofMillis(1500));
    assertThat(client.peer().idleTimeout()).isEqualTo(Duration.ofMillis(4500));
    assertThat(accepted.peer().heartbeatInterval()).isEqualTo(Duration.ofMillis(700));
    assertThat(accepted.peer().idleTimeout()).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void sidesWithTheSameSettingsReportThem() {
    Server<Object, Object> server =
        resources.track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        resources.track(Tether.client(TestTypes.TYPES).codecs("test").connect(server.address()));

    assertThat(client.peer().heartbeatInterval())
        .isEqualTo(TetherConfig.defaults().heartbeatInterval());
    assertThat(client.peer().idleTimeout()).isEqualTo(TetherConfig.defaults().idleTimeout());
  }
}
