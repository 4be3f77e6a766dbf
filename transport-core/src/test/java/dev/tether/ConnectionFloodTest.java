package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestTypes;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Floods of sockets against a real server, over TCP and a Unix domain socket: sockets that close at
 * once, are reset, say nothing, or stop halfway through the preamble or the HELLO. Meanwhile a
 * client keeps being served; afterwards every descriptor the flood took is closed again (counted in
 * {@code /proc/self/fd}, both ends being in this process), and a server closed in the middle of a
 * flood closes within a fraction of its drain timeout.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ConnectionFloodTest {
  private static final int SOCKETS = 1000;

  private static final TetherConfig CONFIG =
      TetherConfig.builder()
          .codecs("test")
          .handshakeTimeout(Duration.ofSeconds(1))
          .heartbeatInterval(Duration.ofMillis(300))
          .idleTimeout(Duration.ofSeconds(5))
          .build();

  private Path directory;

  @AfterEach
  void removeDirectory() throws IOException {
    if (directory != null) {
      Files.deleteIfExists(directory.resolve("flood.sock"));
      Files.deleteIfExists(directory);
    }
  }

  private SocketAddress address(String transport) throws IOException {
    if (transport.equals("tcp")) {
      return new InetSocketAddress("127.0.0.1", 0);
    }
    directory = Files.createTempDirectory("tether-flood");
    return UnixDomainSocketAddress.of(directory.resolve("flood.sock"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "uds"})
  void aFloodOfSocketsThatNeverFinishTheirHandshakeLeavesNoDescriptorOpen(String transport)
      throws Exception {
    byte[] hello =
        RawPeer.frame(RawPeer.HELLO, RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test").body());
    byte[][] halves = {
      Arrays.copyOf(RawPeer.PREAMBLE, 3), RawPeer.concat(RawPeer.PREAMBLE, Arrays.copyOf(hello, 9))
    };
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(CONFIG)
            .onRequest((c, m) -> m)
            .bind(address(transport))) {
      try (Connection<Object, Object> good =
          Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address())) {
        good.request(new Msg("before", 0)).get(3, TimeUnit.SECONDS);
        int descriptorsBefore = descriptors();
        List<SocketChannel> held = new ArrayList<>();
        try {
          for (int i = 0; i < SOCKETS; i++) {
            SocketChannel socket = SocketChannel.open(server.address());
            switch (i % 4) {
              case 0 -> {
                if (transport.equals("tcp")) {
                  socket.setOption(StandardSocketOptions.SO_LINGER, 0); // a reset
                }
                socket.close();
              }
              case 1 -> held.add(socket); // says nothing
              default -> {
                socket.write(ByteBuffer.wrap(halves[i % 2]));
                held.add(socket);
              }
            }
            if (i % 100 == 0) {
              assertThat(good.request(new Msg("served", i)).get(3, TimeUnit.SECONDS))
                  .as("the good client's answer amid the flood")
                  .isEqualTo(new Msg("served", i));
            }
          }
          for (SocketChannel socket : held) {
            // each is told (PROTOCOL.md decision (m)) and let go at the handshake timeout
            assertThat(readToEnd(socket)).as("preamble and GOAWAY").hasSizeGreaterThan(8);
          }
        } finally {
          for (SocketChannel socket : held) {
            socket.close();
          }
        }
        assertThat(good.request(new Msg("after", 1)).get(3, TimeUnit.SECONDS))
            .isEqualTo(new Msg("after", 1));
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertThat(descriptors())
                        .as("descriptors open, %d before the flood", descriptorsBefore)
                        .isLessThanOrEqualTo(descriptorsBefore + 2));
        assertThat(server.metrics().openConnections()).isEqualTo(1);
        assertThat(server.metrics().refusedHandshakes()).isEqualTo(SOCKETS);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "uds"})
  void aServerClosedDuringAFloodClosesAtOnceAndLeavesNoDescriptorOpen(String transport)
      throws Exception {
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(CONFIG.toBuilder().handshakeTimeout(Duration.ofSeconds(30)).build())
            .onRequest((c, m) -> m)
            .bind(address(transport));
    int descriptorsBefore = descriptors();
    Connection<Object, Object> good =
        Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address());
    List<SocketChannel> held = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread flooder =
        new Thread(
            () -> {
              try {
                while (!stop.get() && held.size() < 2 * SOCKETS) {
                  SocketChannel socket = SocketChannel.open(server.address());
                  synchronized (held) {
                    held.add(socket);
                  }
                  socket.write(ByteBuffer.wrap(RawPeer.PREAMBLE));
                }
              } catch (IOException e) {
                // the server stopped listening
              }
            },
            "flooder");
    try {
      flooder.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> held.size() >= SOCKETS / 2);

      long start = System.nanoTime();
      server.close(); // waits up to the drain timeout, 5 s by default
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      stop.set(true);
      flooder.join(10_000);

      assertThat(millis)
          .as("ms the close took with %d sockets mid-handshake", held.size())
          .isLessThan(2_000);
      assertThat(good.onClose().toCompletableFuture().get(5, TimeUnit.SECONDS).code())
          .isEqualTo(GoAwayCode.SHUTTING_DOWN);
    } finally {
      stop.set(true);
      flooder.join(10_000);
      synchronized (held) {
        for (SocketChannel socket : held) {
          socket.close();
        }
      }
      good.close();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(descriptors())
                    .as("descriptors open, %d before the flood", descriptorsBefore)
                    .isLessThanOrEqualTo(descriptorsBefore));
  }

  /** Reads until the server ends the stream; bounded by the server's handshake timeout. */
  private static byte[] readToEnd(SocketChannel socket) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1024);
    while (socket.read(buffer) >= 0 && buffer.hasRemaining()) {
      // reading on
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  private static int descriptors() {
    String[] open = new File("/proc/self/fd").list();
    assertThat(open).as("/proc/self/fd").isNotNull();
    return open.length;
  }
}
