package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What a user of the Java API sees when a handshake is refused, on both sides. */
class HandshakeRefusalTest {
  private static final MessageTypes OTHER_SCHEMA =
      MessageTypes.builder("tether-test").register(1, "test.Other", Msg.class).build();

  @Test
  void schemaMismatchFailsTheConnectNamingBothFingerprintsAndNeverReachesTheServersHandlers() {
    List<Connection<Object, Object>> closed = new CopyOnWriteArrayList<>();
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .onClose((c, cause) -> closed.add(c))
            .bind(new InetSocketAddress("127.0.0.1", 0))) {

      assertThatThrownBy(() -> Tether.client(OTHER_SCHEMA).codecs("test").connect(server.address()))
          .isInstanceOfSatisfying(
              HandshakeException.class,
              e -> {
                assertThat(e.code()).isEqualTo(GoAwayCode.APP_PROTOCOL_MISMATCH);
                assertThat(e.isRemote()).isTrue();
              })
          .hasMessageContaining(String.format("%016x", TestTypes.TYPES.fingerprint()))
          .hasMessageContaining(String.format("%016x", OTHER_SCHEMA.fingerprint()))
          // the refusal names what differs, not just two fingerprints
          .hasMessageContaining("id 1 is 'test.Other' on the client, 'test.Msg' on the server")
          .hasMessageContaining("only the server has 2=test.Blob");

      Connection<Object, Object> good =
          Tether.client(TestTypes.TYPES).codecs("test").connect(server.address());
      good.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> !closed.isEmpty());
      assertThat(closed).hasSize(1);
      assertThat(closed.get(0).peer()).isNotNull();
    }
  }

  @Test
  void serverNameMismatchIsRefusedWithBothNames() {
    try (Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .name("alpha")
            .bind(new InetSocketAddress("127.0.0.1", 0))) {

      assertThatThrownBy(
              () ->
                  Tether.client(TestTypes.TYPES)
                      .codecs("test")
                      .expectServerName("beta")
                      .connect(server.address()))
          .isInstanceOfSatisfying(
              HandshakeException.class,
              e -> assertThat(e.code()).isEqualTo(GoAwayCode.SERVER_NAME_MISMATCH))
          .hasMessageContaining("'beta'")
          .hasMessageContaining("'alpha'");
    }
  }

  @Test
  void connectingToSomethingThatIsNotTetherSaysSoAndShowsWhatItSent() throws Exception {
    try (ServerSocket http = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread responder =
          new Thread(
              () -> {
                try (var socket = http.accept()) {
                  socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes());
                  socket.getInputStream().readAllBytes();
                } catch (java.io.IOException ignored) {
                  // the client hung up
                }
              });
      responder.start();

      assertThatThrownBy(
              () ->
                  Tether.client(TestTypes.TYPES)
                      .codecs("test")
                      .connect(new InetSocketAddress("127.0.0.1", http.getLocalPort())))
          .isInstanceOf(HandshakeException.class)
          .hasMessageContaining("is not a Tether endpoint")
          .hasMessageContaining("HTTP/1.1");
      responder.join(10_000);
    }
  }

  /**
   * A server that answers with the preamble of another major version is a Tether endpoint, of a
   * version this client does not speak: the connect fails with UNSUPPORTED_VERSION naming both
   * versions, and the server is told so. It said "is not a Tether endpoint" (PROTOCOL_ERROR).
   */
  @Test
  void aServerOfAnotherMajorVersionIsNamedAsSuchNotAsSomethingElse() throws Exception {
    try (ServerSocket listener =
        new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      var connecting =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .connectAsync(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
      try (dev.tether.testing.RawPeer server =
          dev.tether.testing.RawPeer.accepted(listener.accept())) {
        server.readPreamble();
        server.readFrame(); // HELLO
        server.writeHex("544554484552 00 02");

        assertThatThrownBy(() -> connecting.get(10, java.util.concurrent.TimeUnit.SECONDS))
            .cause()
            .isInstanceOfSatisfying(
                HandshakeException.class,
                e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNSUPPORTED_VERSION))
            .hasMessageContaining(
                "127.0.0.1:"
                    + listener.getLocalPort()
                    + " speaks Tether protocol major version 2; this client speaks version 1")
            .hasMessageNotContaining("not a Tether endpoint");
        dev.tether.testing.RawPeer.GoAway told = server.readGoAway();
        assertThat(told.code()).isEqualTo(GoAwayCode.UNSUPPORTED_VERSION.code());
        assertThat(told.reason()).contains("major version 2");
      }
    }
  }

  @Test
  void connectionRefusedNamesTheAddress() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .codecs("test")
                    .connect(new InetSocketAddress("127.0.0.1", port)))
        // an I/O failure before any handshake: not a refusal by a peer, which a caller would not
        // retry (it said "HandshakeException: connection closed by peer" before)
        .isExactlyInstanceOf(TetherException.class)
        .hasMessageStartingWith("cannot connect to 127.0.0.1:" + port + ": ")
        .hasMessageNotContaining("closed by peer")
        .hasCauseInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void serverThatAcceptsButNeverAnswersFailsTheConnectWithHandshakeTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      TetherConfig config =
          TetherConfig.builder().codecs("test").handshakeTimeout(Duration.ofMillis(300)).build();
      long start = System.nanoTime();

      assertThatThrownBy(
              () ->
                  Tether.client(TestTypes.TYPES)
                      .config(config)
                      .connect(new InetSocketAddress("127.0.0.1", silent.getLocalPort())))
          .isInstanceOfSatisfying(
              HandshakeException.class,
              e -> assertThat(e.code()).isEqualTo(GoAwayCode.HANDSHAKE_TIMEOUT))
          .hasMessageContaining("no WELCOME from 127.0.0.1:" + silent.getLocalPort())
          .hasMessageContaining("300 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void connectThatGetsNoAnswerFailsAfterTheConnectTimeout() throws Exception {
    // a listener that never accepts, with its backlog filled: further SYNs are dropped, so a
    // connect neither succeeds nor is refused
    try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      List<java.nio.channels.SocketChannel> fillers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          java.nio.channels.SocketChannel filler = java.nio.channels.SocketChannel.open();
          filler.configureBlocking(false);
          filler.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()));
          fillers.add(filler);
        }
        TetherConfig config =
            TetherConfig.builder().codecs("test").connectTimeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(
                () ->
                    Tether.client(TestTypes.TYPES)
                        .config(config)
                        .connect(new InetSocketAddress("127.0.0.1", full.getLocalPort())))
            .isInstanceOf(TetherTimeoutException.class)
            .hasMessage("connect to 127.0.0.1:" + full.getLocalPort() + " timed out after 300 ms");
      } finally {
        for (var filler : fillers) {
          filler.close();
        }
      }
    }
  }
}
