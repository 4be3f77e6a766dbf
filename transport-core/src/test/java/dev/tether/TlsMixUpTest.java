package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testing.CapturedLog;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A plaintext peer at a TLS port and a TLS peer at a plaintext port: each fails fast, with an error
 * that says exactly that, on the side that can be told; and bytes of one kind are never read as the
 * other (no frame length is read out of a TLS record, no record out of a frame).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsMixUpTest {
  /** Well below the handshake timeout below: a mix-up must not wait for it. */
  private static final long FAST_MILLIS = 3000;

  private static final TetherConfig CONFIG =
      TetherConfig.builder().codecs("test").handshakeTimeout(Duration.ofSeconds(10)).build();

  private final TestPki pki = TestPki.shared();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private Server<Object, Object> tlsServer() {
    return track(
        Tether.server(TestTypes.TYPES)
            .config(CONFIG)
            .tls(pki.serverTls().build())
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private Server<Object, Object> plaintextServer() {
    return track(
        Tether.server(TestTypes.TYPES).config(CONFIG).bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private RawPeer raw(Server<?, ?> server) throws IOException {
    return track(RawPeer.connect(server.address()));
  }

  @Test
  void plaintextClientAtTlsServerIsToldThatTheServerRequiresTls() {
    Server<Object, Object> server = tlsServer();
    long start = System.nanoTime();

    assertThatThrownBy(
            () -> Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR);
              assertThat(e.isRemote()).isTrue();
            })
        .hasMessageContaining("this server accepts only TLS connections")
        .hasMessageContaining("configure the client with ClientBuilder.tls");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(FAST_MILLIS);
  }

  @Test
  void tlsClientAtPlaintextServerIsToldThatTheServerDoesNotUseTls() {
    Server<Object, Object> server = plaintextServer();
    long start = System.nanoTime();

    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .config(CONFIG)
                    .tls(pki.clientTls().build())
                    .connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR))
        .hasMessageContaining("the peer does not use TLS")
        .hasMessageContaining("plaintext Tether preamble")
        .hasMessageContaining("this server does not use TLS");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(FAST_MILLIS);
  }

  @Test
  void tlsClientHelloAtPlaintextServerIsAnsweredWithGoAwayNotReadAsAFrame() throws Exception {
    Server<Object, Object> server = plaintextServer();
    RawPeer peer = raw(server);

    // the start of a TLS 1.2/1.3 ClientHello; after 8 bytes, "01 fc 03 03 .." would be a frame
    // length of 0x01fc0303 if it were read as one
    peer.writeHex("16 03 01 02 00 01 00 01 fc 03 03" + " 00".repeat(32));

    RawPeer.GoAway refusal = peer.readRefusal();
    assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(refusal.reason())
        .contains("started a TLS handshake, but this server does not use TLS");
  }

  @Test
  void plaintextPreambleAtTlsServerIsRefusedBeforeAHugeFrameLengthIsRead() throws Exception {
    Server<Object, Object> server = tlsServer();
    RawPeer peer = raw(server);

    peer.write(RawPeer.PREAMBLE);
    peer.writeHex("7f ff ff ff 01"); // a 2 GiB HELLO, if anyone believed it

    RawPeer.GoAway refusal = peer.readRefusal();
    assertThat(refusal.code()).isEqualTo(GoAwayCode.PROTOCOL_ERROR.code());
    assertThat(refusal.reason()).contains("accepts only TLS connections");
  }

  @Test
  void aMalformedClientHelloIsAnsweredWithAnAlertAndNamedOnceInTheServersLog() throws Exception {
    Server<Object, Object> server = tlsServer();
    try (CapturedLog log = new CapturedLog()) {
      RawPeer peer = raw(server);
      // a handshake record holding a ClientHello of 1 byte, far too short to be one
      peer.writeHex("16 03 01 00 05 01 00 00 01 00");
      long start = System.nanoTime();

      assertThat(peer.readBytes(2)).as("a TLS alert record").startsWith(0x15, 0x03);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(FAST_MILLIS);
      int port = peer.localPort();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(log.linesNaming(port))
                      .singleElement()
                      .asString()
                      .contains("TLS handshake with 127.0.0.1:" + port + " failed"));
    }
  }

  @Test
  void somethingElseAtTlsServerIsClosedWithoutAWord() throws Exception {
    Server<Object, Object> server = tlsServer();
    RawPeer peer = raw(server);

    peer.write(
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    peer.assertEndOfStream();
  }

  @Test
  void peerThatStartsTlsAndGoesSilentIsClosedAfterTheHandshakeTimeout() throws Exception {
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(CONFIG.toBuilder().handshakeTimeout(Duration.ofMillis(300)).build())
                .tls(pki.serverTls().build())
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    try (CapturedLog log = new CapturedLog()) {
      RawPeer peer = raw(server);

      peer.writeHex("16 03 01 02 00"); // a record header promising 512 bytes that never come
      long start = System.nanoTime();

      peer.assertEndOfStream();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(FAST_MILLIS);
      int port = peer.localPort();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(log.linesNaming(port))
                      .singleElement()
                      .asString()
                      .contains(
                          "the TLS handshake with 127.0.0.1:"
                              + port
                              + " did not complete within the handshake timeout of 300 ms"));
    }
  }

  @Test
  void peerThatBreaksTheTlsStreamAfterTheHandshakeIsClosed() throws Exception {
    Server<Object, Object> server = tlsServer();
    javax.net.ssl.SSLContext trusting = pki.clientTls().build().sslContext();
    RawPeer peer = track(RawPeer.connectTls(server.address(), trusting, "localhost"));
    peer.handshake(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));

    // an application-data record claiming 65535 bytes: more than TLS allows in a record
    peer.writeBeneathTls(dev.tether.testing.Hex.decode("17 03 03 ff ff" + " 00".repeat(64)));

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.metrics().openConnections() == 0);
  }
}
