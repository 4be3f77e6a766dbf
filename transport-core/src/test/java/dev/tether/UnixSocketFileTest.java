package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.Msg;
import dev.tether.testing.Resources;
import dev.tether.testing.TestTypes;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server restarted on a Unix socket path after it died (killed, crashed) finds the socket file
 * the dead one left: it takes the path, as it would a TCP port. A path that a live server listens
 * on, or that is not a socket, is not touched; nor, by a server closing, a socket file that is not
 * its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnixSocketFileTest {
  private final Resources resources = new Resources();

  @TempDir Path dir;

  @AfterEach
  void closeResources() {
    resources.close();
  }

  private Server<Object, Object> echoServer(UnixDomainSocketAddress address) {
    return resources.track(
        Tether.server(TestTypes.TYPES).codecs("test").onRequest((c, m) -> m).bind(address));
  }

  private void assertServes(UnixDomainSocketAddress address) throws Exception {
    try (Connection<Object, Object> client =
        Tether.client(TestTypes.TYPES).codecs("test").connect(address)) {
      assertThat(client.request(new Msg("hello", 1)).get(10, TimeUnit.SECONDS))
          .isEqualTo(new Msg("hello", 1));
    }
  }

  @Test
  void aSocketFileLeftByADeadServerIsTakenOver() throws Exception {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
    // what a killed server leaves: the socket file, and nobody listening on it
    ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    dead.bind(address);
    dead.close();
    assertThat(Files.exists(address.getPath())).isTrue();

    echoServer(address);
    assertServes(address);
  }

  @Test
  void aPathALiveServerListensOnIsRefusedAndTheServerGoesOn() throws Exception {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
    Server<Object, Object> live = echoServer(address);

    assertThatThrownBy(() -> echoServer(address))
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("cannot bind " + address.getPath())
        .hasMessageContaining("another server is listening on this socket");
    assertServes(address);
    // the look at the path (a connect, closed at once) and the client leave nothing behind
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> live.connections().isEmpty());
  }

  @Test
  void aPathThatIsNotASocketIsLeftAlone() throws Exception {
    Path file = Files.writeString(dir.resolve("data"), "keep me", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> echoServer(UnixDomainSocketAddress.of(file)))
        .isInstanceOf(TetherException.class)
        .hasMessageContaining("the path exists and is not a socket");
    assertThat(Files.readString(file)).isEqualTo("keep me");
  }

  @Test
  void aServerRemovesItsSocketFileWhenItCloses() {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
    Server<Object, Object> server = echoServer(address);
    assertThat(Files.exists(address.getPath())).isTrue();
    server.close();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !Files.exists(address.getPath()));
  }

  /**
   * A deploy that removes the socket file and starts the next server before it stops the previous
   * one: the previous server, closing, leaves the file that is not its own, and the next one serves
   * on.
   */
  @Test
  void aServerClosingLeavesASocketFileThatANewerServerMadeOnItsPath() throws Exception {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("s.sock"));
    Server<Object, Object> old = echoServer(address);
    Files.delete(address.getPath());
    echoServer(address); // finds the path free, and binds it

    old.close();

    assertThat(Files.exists(address.getPath())).as("the newer server's socket file").isTrue();
    assertServes(address);
  }
}
