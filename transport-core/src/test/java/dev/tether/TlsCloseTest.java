package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
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
      writeAll(
          tls,
          RawPeer.concat(
              RawPeer.PREAMBLE,
              RawPeer.frame(
                  RawPeer.HELLO, RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test").body())));
      assertThat(readBytes(in, 8)).isEqualTo(RawPeer.PREAMBLE);
      assertThat(readFrame(in).type()).isEqualTo(RawPeer.WELCOME);

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

  private TlsChannel clientChannel(SocketChannel socket) {
    SSLEngine engine = pki.clientTls().build().sslContext().createSSLEngine("localhost", 0);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(parameters);
    return ClientTlsChannel.newBuilder(socket, engine).build();
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
