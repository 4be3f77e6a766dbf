package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that reconnects while its server is away makes hundreds of attempts; each one that fails
 * closes its socket, whether the connect fails at once (a Unix socket whose server is gone) or
 * later (TCP, refused after the SYN). Counted in {@code /proc/self/fd}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReconnectDescriptorTest {
  private final Resources resources = new Resources();

  @TempDir Path dir;

  @AfterEach
  void closeResources() {
    resources.close();
  }

  @Test
  void failedAttemptsOverAUnixSocketLeaveNoDescriptorOpen() throws Exception {
    attemptsLeaveNothing(UnixDomainSocketAddress.of(dir.resolve("s.sock")));
  }

  @Test
  void failedAttemptsOverTcpLeaveNoDescriptorOpen() throws Exception {
    attemptsLeaveNothing(new InetSocketAddress("127.0.0.1", 0));
  }

  private void attemptsLeaveNothing(SocketAddress at) throws Exception {
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES).codecs("test").onRequest((c, m) -> m).bind(at);
    resources.track(server);
    CountDownLatch gaveUp = new CountDownLatch(1);
    AtomicReference<TetherException> why = new AtomicReference<>();
    Connection<Object, Object> client =
        resources.track(
            Tether.client(TestTypes.TYPES)
                .codecs("test")
                .reconnect(
                    ReconnectPolicy.builder()
                        .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                        .giveUpAfter(Duration.ofMillis(1500))
                        .build())
                .onReconnect(
                    new ReconnectListener<>() {
                      @Override
                      public void onGaveUp(Connection<Object, Object> c, TetherException cause) {
                        why.set(cause);
                        gaveUp.countDown();
                      }
                    })
                .connect(server.address()));
    int before = descriptors();

    server.close(); // the client's connection goes with it, and it tries again and again
    assertThat(gaveUp.await(20, TimeUnit.SECONDS)).as("gave up").isTrue();
    client.onClose().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(why.get().getMessage()).containsPattern("after \\d{3,} attempts");
    // the server's listener and its connection are gone, and with them the client's socket
    assertThat(descriptors()).as("descriptors open").isLessThanOrEqualTo(before);
  }

  private static int descriptors() {
    String[] open = new File("/proc/self/fd").list();
    assertThat(open).as("/proc/self/fd").isNotNull();
    return open.length;
  }
}
