package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.CapturedLog;
import dev.tether.testing.Msg;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TLS handshake over real sockets: what succeeds, and how each refusal reads on both sides.
 * Certificates are made at run time by {@link TestPki}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsHandshakeTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final TestPki pki = TestPki.shared();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final List<String> serverFailures = new CopyOnWriteArrayList<>();

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

  private Server<Object, Object> echoServer(TlsConfig tls) {
    return track(
        Tether.server(TestTypes.TYPES)
            .codecs("test")
            .tls(tls)
            .onMessage((c, m) -> c.send(m))
            .bind(new InetSocketAddress("127.0.0.1", 0)));
  }

  private ClientBuilder<Object, Object> client(TlsConfig tls) {
    return Tether.client(TestTypes.TYPES)
        .config(TetherConfig.builder().codecs("test").handshakeTimeout(WAIT).build())
        .tls(tls);
  }

  private static InetSocketAddress localhost(Server<?, ?> server) {
    return new InetSocketAddress("localhost", ((InetSocketAddress) server.address()).getPort());
  }

  @Test
  void clientTrustingTheCaExchangesMessagesOverTls13() throws Exception {
    Server<Object, Object> server = echoServer(pki.serverTls().build());
    Connection<Object, Object> client =
        track(client(pki.clientTls().build()).connect(localhost(server)));

    client.send(new Msg("secret", 1));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("secret", 1));
    assertThat(client.peer().tlsProtocol()).isEqualTo("TLSv1.3");
    assertThat(client.peer().certificates())
        .first()
        .satisfies(c -> assertThat(c.getSubjectX500Principal().getName()).contains("CN=localhost"));
    await().atMost(WAIT).until(() -> server.connections().size() == 1);
    assertThat(server.connections().get(0).peer().tlsProtocol()).isEqualTo("TLSv1.3");
    assertThat(server.connections().get(0).peer().certificates())
        .as("no client certificate was asked for")
        .isEmpty();
  }

  @Test
  void ipAddressIsCheckedAgainstTheCertificatesIpNames() throws Exception {
    Server<Object, Object> server = echoServer(pki.serverTls().build());
    Connection<Object, Object> client =
        track(client(pki.clientTls().build()).connect(server.address()));

    client.send(new Msg("by ip", 2));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("by ip", 2));
  }

  @Test
  void tls12IsNegotiatedWhenBothSidesAllowOnlyIt() throws Exception {
    Server<Object, Object> server =
        echoServer(pki.serverTls().protocols("TLSv1.3", "TLSv1.2").build());
    Connection<Object, Object> client =
        track(client(pki.clientTls().protocols("TLSv1.2").build()).connect(localhost(server)));

    client.send(new Msg("old but allowed", 3));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("old but allowed", 3));
    assertThat(client.peer().tlsProtocol()).isEqualTo("TLSv1.2");
  }

  @Test
  void protocolsOlderThanTls12CannotBeEnabled() {
    assertThatThrownBy(() -> TlsConfig.builder().protocols("TLSv1.1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLSv1.1")
        .hasMessageContaining("[TLSv1.3, TLSv1.2]");
  }

  @Test
  void clientWithOnlyTls12FailsAgainstTheDefaultTls13Server() {
    Server<Object, Object> server = echoServer(pki.serverTls().build());

    assertThatThrownBy(
            () -> client(pki.clientTls().protocols("TLSv1.2").build()).connect(localhost(server)))
        .isInstanceOf(HandshakeException.class)
        .hasMessageContaining("TLS handshake with localhost")
        .hasMessageContaining("no TLS version");
  }

  @Test
  void expiredServerCertificateIsRefusedByTheClient() {
    Instant now = Instant.now();
    TestPki.Issued expired =
        pki.issue(
            "localhost",
            now.minus(Duration.ofDays(10)),
            now.minus(Duration.ofDays(1)),
            "localhost");
    Server<Object, Object> server = echoServer(expired.presenting().build());

    assertThatThrownBy(() -> client(pki.clientTls().build()).connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
              assertThat(e.isRemote()).isFalse();
            })
        .hasMessageContaining("the server's certificate has expired");
  }

  @Test
  void serverCertificateForAnotherHostIsRefusedByTheClient() {
    Instant now = Instant.now();
    TestPki.Issued other =
        pki.issue(
            "db.example",
            now.minus(Duration.ofHours(1)),
            now.plus(Duration.ofDays(1)),
            "db.example");
    Server<Object, Object> server = echoServer(other.presenting().build());

    assertThatThrownBy(() -> client(pki.clientTls().build()).connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED))
        .hasMessageContaining("does not name the host")
        .hasMessageContaining("localhost");
  }

  @Test
  void serverHostNameChecksTheNameGivenInsteadOfTheAddresses() throws Exception {
    Instant now = Instant.now();
    TestPki.Issued other =
        pki.issue(
            "db.example",
            now.minus(Duration.ofHours(1)),
            now.plus(Duration.ofDays(1)),
            "db.example");
    Server<Object, Object> server = echoServer(other.presenting().build());
    Connection<Object, Object> client =
        track(
            client(pki.clientTls().serverHostName("db.example").build())
                .connect(localhost(server)));

    client.send(new Msg("named", 4));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("named", 4));
  }

  @Test
  void serverCertificateFromAnUntrustedCaIsRefusedAndTheServerHearsWhy() {
    TestPki stranger = TestPki.create("stranger");
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .tls(stranger.serverTls().build())
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(() -> client(pki.clientTls().build()).connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED))
        .hasMessageContaining("the server's certificate is not trusted");
    await().atMost(WAIT).until(() -> server.metrics().refusedHandshakes() == 1);
  }

  @Test
  void mutualTlsAdmitsAClientWithACertificateFromTheTrustedCa() throws Exception {
    Server<Object, Object> server = echoServer(pki.serverTls().requireClientCertificate().build());
    Connection<Object, Object> client =
        track(
            client(pki.client("node-7").presenting().trustCertificates(pki.caFile()).build())
                .connect(localhost(server)));

    client.send(new Msg("mutual", 5));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("mutual", 5));
    await().atMost(WAIT).until(() -> server.connections().size() == 1);
    assertThat(server.connections().get(0).peer().certificates())
        .first()
        .satisfies(c -> assertThat(c.getSubjectX500Principal().getName()).contains("CN=node-7"));
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificateAndBothSidesSayWhy() {
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .codecs("test")
                .tls(pki.serverTls().requireClientCertificate().build())
                .onClose((c, cause) -> serverFailures.add(cause.getMessage()))
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(() -> client(pki.clientTls().build()).connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
              assertThat(e.isRemote()).isTrue();
            })
        .hasMessageContaining("the server requires a client certificate");
    await().atMost(WAIT).until(() -> server.metrics().refusedHandshakes() == 1);
    assertThat(server.connections()).isEmpty();
  }

  @Test
  void mutualTlsRefusesAClientCertificateFromAnUntrustedCa() {
    Server<Object, Object> server = echoServer(pki.serverTls().requireClientCertificate().build());
    TestPki stranger = TestPki.create("stranger");

    assertThatThrownBy(
            () ->
                client(
                        stranger
                            .client("intruder")
                            .presenting()
                            .trustCertificates(pki.caFile())
                            .build())
                    .connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
              assertThat(e.isRemote()).isTrue();
            })
        .hasMessageContaining("the server refused this side's certificate");
  }

  @Test
  void aClientCertificateTheServerRefusesIsNamedOnceInTheServersLog() throws Exception {
    Server<Object, Object> server = echoServer(pki.serverTls().requireClientCertificate().build());
    TestPki stranger = TestPki.create("stranger");

    try (CapturedLog log = new CapturedLog()) {
      assertThatThrownBy(
              () ->
                  client(
                          stranger
                              .client("intruder")
                              .presenting()
                              .trustCertificates(pki.caFile())
                              .build())
                      .connect(localhost(server)))
          .isInstanceOf(HandshakeException.class);
      await().atMost(WAIT).until(() -> server.metrics().refusedHandshakes() == 1);

      // the operator of the server is the one who can fix its trust, or find the intruder (a JDK
      // client sends no certificate the server's CAs did not issue: the server sees none)
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(log.lines())
                      .filteredOn(line -> line.contains("TLS handshake with 127.0.0.1:"))
                      .singleElement()
                      .asString()
                      .contains("failed: the client presented no certificate"));
    }
  }

  @Test
  void tlsServerWithoutACertificateIsRefusedAtBind() {
    assertThatThrownBy(
            () ->
                Tether.server(TestTypes.TYPES)
                    .tls(pki.clientTls().build())
                    .bind(new InetSocketAddress("127.0.0.1", 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a certificate and private key");
  }

  @Test
  void tlsOverAUnixDomainSocketIsRefused() {
    assertThatThrownBy(
            () ->
                Tether.server(TestTypes.TYPES)
                    .tls(pki.serverTls().build())
                    .bind(dev.tether.testing.Transport.UDS.bindAddress()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TLS runs over TCP only");
  }
}
