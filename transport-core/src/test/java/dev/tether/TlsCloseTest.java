package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tlschannel.ClientTlsChannel;
import tlschannel.TlsChannel;

/**
 * The lossless close of PROTOCOL.md §9 over TLS: the half-close is close_notify after everything is
 * written, and reading goes on until the peer's GOAWAY.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsCloseTest {
  private final TestPki pki = TestPki.shared();

  @Test
  void serverSendsGoAwayThenCloseNotifyAndReadsOnUntilTheClientsGoAway() throws Exception {
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(pki.serverTls().build())
            .onClose((c, cause) -> serverSaw.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try (SocketChannel socket = SocketChannel.open(server.address());
        TlsChannel tls = clientChannel(socket)) {
      DataInputStream in = new DataInputStream(Channels.newInputStream(tls));
      handshake(tls, in);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

      RawPeer.Frame last = readFrame(in);
      assertThat(last.type()).isEqualTo(RawPeer.GOAWAY);
      assertThat(RawPeer.GoAway.parse(last.body()).code())
          .isEqualTo(GoAwayCode.SHUTTING_DOWN.code());
      assertThat(in.read()).as("end of the server's stream").isEqualTo(-1);
      assertThat(tls.shutdownReceived()).as("ended by close_notify, not a bare FIN").isTrue();

      // the server still reads: the client's own GOAWAY ends the close gracefully
      writeAll(tls, RawPeer.frame(RawPeer.GOAWAY, new byte[] {0, 0}));
      closing.get(20, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> serverSaw.get() != null);
    assertThat(serverSaw.get().isGraceful()).isTrue();
    assertThat(serverSaw.get().messagesNotSent()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void everythingSentBeforeEitherSideClosesArrivesAndBothCloseGracefully(String protocol)
      throws Exception {
    AtomicLong received = new AtomicLong();
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(pki.serverTls().protocols("TLSv1.3", "TLSv1.2").build())
            .onMessage(
                (c, m) -> {
                  received.incrementAndGet();
                  c.send(m); // answers keep flowing while the client closes
                })
            .onClose((c, cause) -> serverSaw.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    AtomicLong echoed = new AtomicLong();
    try {
      Connection<Object, Object> client =
          Tether.client(TestTypes.TYPES)
              .codecs("test")
              .tls(pki.clientTls().protocols(protocol).build())
              .onMessage((c, m) -> echoed.incrementAndGet())
              .connect(server.address());
      for (int i = 0; i < 20_000; i++) {
        client.send(new Msg("m", i));
      }
      client.close();

      ConnectionClosedException cause =
          client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertThat(cause.isGraceful()).as(cause.getMessage()).isTrue();
      assertThat(received).hasValue(20_000);
      assertThat(echoed).as("every echo the server sent before its GOAWAY").hasValue(20_000);
      await().atMost(Duration.ofSeconds(20)).until(() -> serverSaw.get() != null);
      assertThat(serverSaw.get().isGraceful()).isTrue();
    } finally {
      server.close();
    }
  }

  /**
   * The peer's close_notify comes after its GOAWAY, in a later segment, while this side still
   * writes what it owes: read on until it, or closing the socket resets the connection and throws
   * away the echoes the peer has not read yet. Failed one CI run in several hundred before (the
   * test above, under load); every time with a peer that waits like this one.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void aCloseNotifyThatFollowsTheGoAwayLaterDoesNotResetTheEchoesStillOnTheirWay(String protocol)
      throws Exception {
    int count = 400; // 400 echoes of 8 KB: more than the sockets' buffers take while none is read
    AtomicReference<Connection<Object, Object>> serverSide = new AtomicReference<>();
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(pki.serverTls().protocols("TLSv1.3", "TLSv1.2").build())
            .onMessage(
                (c, m) -> {
                  serverSide.set(c);
                  c.send(m);
                })
            .onClose((c, cause) -> serverSaw.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try (SocketChannel socket = SocketChannel.open()) {
      socket.setOption(StandardSocketOptions.SO_RCVBUF, 32 * 1024);
      socket.connect(server.address());
      TlsChannel tls = clientChannel(socket, protocol);
      DataInputStream in = new DataInputStream(Channels.newInputStream(tls));
      handshake(tls, in);
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 0; i < count; i++) {
        burst.writeBytes(
            RawPeer.frame(
                RawPeer.DATA,
                RawPeer.concat(RawPeer.varint(1), OutboundBoundTest.msg("e".repeat(8000), i))));
      }
      burst.writeBytes(RawPeer.frame(RawPeer.GOAWAY, new byte[] {0, 0}));
      writeAll(tls, burst.toByteArray());
      // the server has read the GOAWAY, and nothing after it yet
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> serverSide.get() != null && !serverSide.get().isOpen());

      // close_notify now, beside tls-channel, whose shutdown() would refuse to read on
      SSLEngine engine = tls.getSslEngine();
      engine.closeOutbound();
      ByteBuffer closeNotify = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
      engine.wrap(ByteBuffer.allocate(0), closeNotify);
      closeNotify.flip();
      while (closeNotify.hasRemaining()) {
        socket.write(closeNotify);
      }

      int echoes = 0;
      RawPeer.Frame frame = readFrame(in);
      while (frame.type() == RawPeer.DATA) {
        echoes++;
        frame = readFrame(in);
      }
      assertThat(echoes).as("echoes before the server's GOAWAY").isEqualTo(count);
      assertThat(frame.type()).isEqualTo(RawPeer.GOAWAY);
      assertThat(in.read()).as("end of the server's stream").isEqualTo(-1);
      await().atMost(Duration.ofSeconds(20)).until(() -> serverSaw.get() != null);
      assertThat(serverSaw.get().isGraceful()).as(serverSaw.get().getMessage()).isTrue();
    } finally {
      server.close();
    }
  }

  @Test
  void aPeerThatNeverEndsItsStreamAfterItsGoAwayIsLetGoGracefullyAtTheDrainDeadline()
      throws Exception {
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        Tether.server(TestTypes.TYPES)
            .config(
                TetherConfig.builder().codecs("test").drainTimeout(Duration.ofMillis(300)).build())
            .tls(pki.serverTls().build())
            .onMessage((c, m) -> c.send(m))
            .onClose((c, cause) -> serverSaw.set(cause))
            .bind(new InetSocketAddress("127.0.0.1", 0));
    try (SocketChannel socket = SocketChannel.open(server.address());
        TlsChannel tls = clientChannel(socket)) {
      DataInputStream in = new DataInputStream(Channels.newInputStream(tls));
      handshake(tls, in);
      writeAll(
          tls,
          RawPeer.concat(
              RawPeer.frame(
                  RawPeer.DATA, RawPeer.concat(RawPeer.varint(1), OutboundBoundTest.msg("e", 1))),
              RawPeer.frame(RawPeer.GOAWAY, new byte[] {0, 0})));
      assertThat(readFrame(in).type()).isEqualTo(RawPeer.DATA);
      assertThat(readFrame(in).type()).isEqualTo(RawPeer.GOAWAY);
      assertThat(in.read()).as("end of the server's stream").isEqualTo(-1);

      // no close_notify, no FIN from this side: the server waits for them only so long
      await().atMost(Duration.ofSeconds(20)).until(() -> serverSaw.get() != null);
      assertThat(serverSaw.get().isGraceful()).as(serverSaw.get().getMessage()).isTrue();
      assertThat(socket.isOpen()).isTrue();
    } finally {
      server.close();
    }
  }

  private TlsChannel clientChannel(SocketChannel socket) {
    return clientChannel(socket, "TLSv1.3");
  }

  private TlsChannel clientChannel(SocketChannel socket, String protocol) {
    SSLEngine engine = pki.clientTls().build().sslContext().createSSLEngine("localhost", 0);
    engine.setUseClientMode(true);
    engine.setEnabledProtocols(new String[] {protocol});
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(parameters);
    return ClientTlsChannel.newBuilder(socket, engine).build();
  }

  /** Writes the preamble and a HELLO the server accepts, and reads its preamble and WELCOME. */
  private static void handshake(TlsChannel tls, DataInputStream in) throws IOException {
    writeAll(
        tls,
        RawPeer.concat(
            RawPeer.PREAMBLE,
            RawPeer.frame(
                RawPeer.HELLO, RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test").body())));
    assertThat(readBytes(in, 8)).isEqualTo(RawPeer.PREAMBLE);
    assertThat(readFrame(in).type()).isEqualTo(RawPeer.WELCOME);
  }

  private static void writeAll(TlsChannel tls, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      tls.write(buffer);
    }
  }

  private static byte[] readBytes(DataInputStream in, int n) throws IOException {
    byte[] bytes = new byte[n];
    in.readFully(bytes);
    return bytes;
  }

  private static RawPeer.Frame readFrame(DataInputStream in) throws IOException {
    int length = in.readInt();
    assertThat(length).isBetween(1, 1 << 20);
    int type = in.readUnsignedByte();
    return new RawPeer.Frame(type, readBytes(in, length - 1));
  }
}
