package dev.tether;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testing.Hex;
import dev.tether.testing.Msg;
import dev.tether.testing.RawPeer;
import dev.tether.testing.TestPki;
import dev.tether.testing.TestTypes;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link Authorizer}: what it is shown, what its refusal does on both sides, and how an
 * admission's expiry, or a certificate's, ends a connection that is open.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthorizationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final TetherConfig CONFIG = TetherConfig.builder().codecs("test").build();

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

  private ServerBuilder<Object, Object> server() {
    return Tether.server(TestTypes.TYPES).config(CONFIG).onMessage((c, m) -> c.send(m));
  }

  private static InetSocketAddress localhost(Server<?, ?> server) {
    return new InetSocketAddress("localhost", ((InetSocketAddress) server.address()).getPort());
  }

  private static final Authorizer BEARER_SESAME =
      request ->
          request
              .credentials()
              .filter(c -> c.scheme().equals("bearer") && c.valueAsString().equals("sesame"))
              .map(c -> Admission.admit())
              .orElse(Admission.refuse("a bearer token is required"));

  @Test
  void authorizerSeesTheVerifiedClientCertificateAndTheHelloFacts() throws Exception {
    AtomicReference<AccessRequest> seen = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            server()
                .tls(pki.serverTls().requireClientCertificate().build())
                .authorizer(
                    request -> {
                      seen.set(request);
                      return Admission.admit();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(CONFIG.toBuilder().nodeId(42).build())
                .tls(pki.client("node-42").presenting().trustCertificates(pki.caFile()).build())
                .connect(localhost(server)));

    client.send(new Msg("in", 1));

    assertThat(client.receive(WAIT)).isEqualTo(new Msg("in", 1));
    AccessRequest request = seen.get();
    assertThat(request.certificate())
        .hasValueSatisfying(
            c -> assertThat(c.getSubjectX500Principal().getName()).contains("CN=node-42"));
    assertThat(request.certificates()).hasSize(2); // the client's and its CA's, as it sent them
    assertThat(request.tlsProtocol()).isEqualTo("TLSv1.3");
    assertThat(request.nodeId()).isEqualTo(42);
    assertThat(request.appProtocol()).isEqualTo("tether-test");
    assertThat(request.codec()).isEqualTo("test");
    assertThat(request.credentials()).isEmpty();
    assertThat(request.address()).isInstanceOf(InetSocketAddress.class);
  }

  @Test
  void refusedClientIsToldUnauthorizedWithTheReason() {
    Server<Object, Object> server =
        track(
            server()
                .tls(pki.serverTls().requireClientCertificate().build())
                .authorizer(
                    request ->
                        request
                            .certificate()
                            .filter(c -> c.getSubjectX500Principal().getName().contains("CN=ops"))
                            .map(c -> Admission.admit())
                            .orElse(Admission.refuse("only the ops certificate may connect")))
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .config(CONFIG)
                    .tls(pki.client("intern").presenting().trustCertificates(pki.caFile()).build())
                    .connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
              assertThat(e.isRemote()).isTrue();
              assertThat(e.reason()).contains("access refused: only the ops certificate");
            });
    await().atMost(WAIT).until(() -> server.metrics().refusedHandshakes() == 1);
    assertThat(server.connections()).isEmpty();
  }

  @Test
  void credentialsWithoutTlsReachTheAuthorizer() throws Exception {
    Server<Object, Object> server =
        track(server().authorizer(BEARER_SESAME).bind(new InetSocketAddress("127.0.0.1", 0)));

    Connection<Object, Object> admitted =
        track(
            Tether.client(TestTypes.TYPES)
                .config(CONFIG)
                .credentials(Credentials.of("bearer", "sesame"))
                .connect(server.address()));
    admitted.send(new Msg("token ok", 1));
    assertThat(admitted.receive(WAIT)).isEqualTo(new Msg("token ok", 1));
    assertThat(admitted.peer().tlsProtocol()).isEmpty();

    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .config(CONFIG)
                    .credentials(Credentials.of("bearer", "guess"))
                    .connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED))
        .hasMessageContaining("a bearer token is required");
    assertThatThrownBy(
            () -> Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED));
  }

  @Test
  void credentialsExtensionWrittenByHandIsReadAsPrescribed() throws Exception {
    AtomicReference<Credentials> seen = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            server()
                .authorizer(
                    request -> {
                      seen.set(request.credentials().orElse(null));
                      return Admission.admit();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    RawPeer peer = track(RawPeer.connect(server.address()));

    peer.handshake(
        RawPeer.Hello.forTypes(TestTypes.TYPES)
            .codecs("test")
            .extensions(
                Hex.decode(
                    "00 02" // kind 2 = credentials
                        + " 00 0c" // 12 bytes
                        + " 00 06 62 65 61 72 65 72" // str scheme "bearer"
                        + " 01 02 ff 00"))); // the credential: 4 bytes

    assertThat(seen.get()).isEqualTo(new Credentials("bearer", new byte[] {1, 2, (byte) 0xff, 0}));
  }

  @Test
  void refusedClientsPipelinedFramesAreNeverHandled() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    Server<Object, Object> server =
        track(
            Tether.server(TestTypes.TYPES)
                .config(CONFIG)
                .authorizer(request -> Admission.refuse("no"))
                .onMessage((c, m) -> handled.incrementAndGet())
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    RawPeer peer = track(RawPeer.connect(server.address()));

    peer.writePreambleAndHello(RawPeer.Hello.forTypes(TestTypes.TYPES).codecs("test"));
    peer.writeData(1, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)); // before WELCOME

    RawPeer.GoAway refusal = peer.readRefusal();
    assertThat(refusal.code()).isEqualTo(GoAwayCode.UNAUTHORIZED.code());
    assertThat(refusal.reason()).isEqualTo("access refused: no");
    assertThat(handled).hasValue(0);
  }

  @Test
  void slowAuthorizerDoesNotHoldUpTheEventLoop() throws Exception {
    TetherRuntime oneLoop = track(TetherRuntime.builder().eventLoops(1).build());
    CountDownLatch decide = new CountDownLatch(1);
    Server<Object, Object> guarded =
        track(
            server()
                .runtime(oneLoop)
                .authorizer(
                    request -> {
                      decide.await();
                      return Admission.admit();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Server<Object, Object> open =
        track(server().runtime(oneLoop).bind(new InetSocketAddress("127.0.0.1", 0)));
    CompletableFuture<Connection<Object, Object>> waiting =
        Tether.client(TestTypes.TYPES)
            .config(CONFIG)
            .runtime(oneLoop)
            .connectAsync(guarded.address());

    Connection<Object, Object> other =
        track(
            Tether.client(TestTypes.TYPES).config(CONFIG).runtime(oneLoop).connect(open.address()));
    other.send(new Msg("meanwhile", 1));
    assertThat(other.receive(WAIT)).isEqualTo(new Msg("meanwhile", 1));
    assertThat(waiting).isNotDone();

    decide.countDown();
    Connection<Object, Object> admitted = track(waiting.get(20, TimeUnit.SECONDS));
    admitted.send(new Msg("finally", 2));
    assertThat(admitted.receive(WAIT)).isEqualTo(new Msg("finally", 2));
  }

  /**
   * A server closed while its authorizer decides on a client (or closed by the authorizer itself)
   * refuses that client with SHUTTING_DOWN and is done: it used to hold reading paused for the
   * authorizer, so it never saw the client go, and its close waited out the drain deadline.
   */
  @ParameterizedTest(name = "closed by the authorizer: {0}")
  @ValueSource(booleans = {false, true})
  void aServerClosedWhileItsAuthorizerDecidesClosesWithoutWaitingForIt(boolean byTheAuthorizer)
      throws Exception {
    Duration drain = Duration.ofSeconds(30);
    CountDownLatch asked = new CountDownLatch(1);
    CountDownLatch decide = new CountDownLatch(1);
    AtomicReference<Server<Object, Object>> self = new AtomicReference<>();
    CompletableFuture<Duration> closeTook = new CompletableFuture<>();
    Server<Object, Object> server =
        track(
            server()
                .config(CONFIG.toBuilder().drainTimeout(drain).build())
                .authorizer(
                    request -> {
                      asked.countDown();
                      if (byTheAuthorizer) {
                        long start = System.nanoTime();
                        self.get().close();
                        closeTook.complete(Duration.ofNanos(System.nanoTime() - start));
                      }
                      decide.await();
                      return Admission.admit();
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    self.set(server);
    CompletableFuture<Connection<Object, Object>> connecting =
        Tether.client(TestTypes.TYPES).config(CONFIG).connectAsync(server.address());
    assertThat(asked.await(20, TimeUnit.SECONDS)).isTrue();

    if (!byTheAuthorizer) {
      long start = System.nanoTime();
      server.close();
      closeTook.complete(Duration.ofNanos(System.nanoTime() - start));
    }

    assertThat(closeTook.get(60, TimeUnit.SECONDS)).isLessThan(drain.dividedBy(2));
    assertThatThrownBy(() -> connecting.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.SHUTTING_DOWN));
    decide.countDown();
    assertThat(server.connections()).isEmpty();
  }

  @Test
  void authorizerThatThrowsRefusesWithInternalError() {
    Server<Object, Object> server =
        track(
            server()
                .authorizer(
                    request -> {
                      throw new IllegalStateException("directory unreachable");
                    })
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(
            () -> Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> assertThat(e.code()).isEqualTo(GoAwayCode.INTERNAL_ERROR))
        .hasMessageContaining("the authorizer failed")
        .hasMessageContaining("directory unreachable");
  }

  @Test
  void credentialExpiryMidConnectionClosesItWithUnauthorizedOnBothSides() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            server()
                .authorizer(
                    request ->
                        asked.incrementAndGet() == 1
                            ? Admission.admitUntil(Instant.now().plusMillis(500))
                            : Admission.refuse("token revoked"))
                .onClose((c, cause) -> serverSaw.set(cause))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(CONFIG)
                .credentials(Credentials.of("bearer", "short-lived"))
                .connect(server.address()));
    client.send(new Msg("while valid", 1));
    assertThat(client.receive(WAIT)).isEqualTo(new Msg("while valid", 1));

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertThat(cause.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
    assertThat(cause.isRemote()).isTrue();
    assertThat(cause.reason()).contains("access expired at").contains("token revoked");
    await().atMost(WAIT).until(() -> serverSaw.get() != null);
    assertThat(serverSaw.get().code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
    assertThat(serverSaw.get().isRemote()).isFalse();
    assertThat(asked).hasValue(2);
  }

  @Test
  void renewedAdmissionKeepsTheConnectionOpenUntilItIsNotRenewed() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    Server<Object, Object> server =
        track(
            server()
                .authorizer(
                    request ->
                        asked.incrementAndGet() <= 3
                            ? Admission.admitUntil(Instant.now().plusMillis(200))
                            : Admission.admitUntil(Instant.now().minusMillis(1)))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        track(Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()));

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertThat(asked).hasValue(4);
    assertThat(cause.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
    assertThat(cause.reason()).contains("did not renew");
  }

  @Test
  void admissionThatHasAlreadyExpiredIsARefusal() {
    Server<Object, Object> server =
        track(
            server()
                .authorizer(request -> Admission.admitUntil(Instant.now().minusSeconds(1)))
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(
            () -> Tether.client(TestTypes.TYPES).config(CONFIG).connect(server.address()))
        .isInstanceOfSatisfying(
            HandshakeException.class, e -> assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED))
        .hasMessageContaining("the credentials expired at");
  }

  @Test
  void clientCertificateExpiringMidConnectionClosesItWithUnauthorized() throws Exception {
    Instant now = Instant.now();
    TestPki.Issued shortLived =
        pki.issue("brief", now.minus(Duration.ofHours(1)), now.plusSeconds(3));
    Server<Object, Object> server =
        track(
            server()
                .tls(pki.serverTls().requireClientCertificate().build())
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    Connection<Object, Object> client =
        track(
            Tether.client(TestTypes.TYPES)
                .config(CONFIG)
                .tls(shortLived.presenting().trustCertificates(pki.caFile()).build())
                .connect(localhost(server)));
    client.send(new Msg("still valid", 1));
    assertThat(client.receive(WAIT)).isEqualTo(new Msg("still valid", 1));

    ConnectionClosedException cause =
        client.onClose().toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertThat(cause.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
    assertThat(cause.isRemote()).isTrue();
    assertThat(cause.reason()).contains("the client's certificate 'CN=brief").contains("expired");
    assertThat(Instant.now()).isAfterOrEqualTo(shortLived.certificate().getNotAfter().toInstant());
  }

  @Test
  void clientAuthorizerCanRefuseTheServer() {
    AtomicReference<ConnectionClosedException> serverSaw = new AtomicReference<>();
    Server<Object, Object> server =
        track(
            server()
                .config(CONFIG.toBuilder().nodeId(7).build())
                .tls(pki.serverTls().build())
                .onClose((c, cause) -> serverSaw.set(cause))
                .bind(new InetSocketAddress("127.0.0.1", 0)));

    assertThatThrownBy(
            () ->
                Tether.client(TestTypes.TYPES)
                    .config(CONFIG)
                    .tls(pki.clientTls().build())
                    .authorizer(
                        request ->
                            request.nodeId() == 1
                                ? Admission.admit()
                                : Admission.refuse("expected node 1, found " + request.nodeId()))
                    .connect(localhost(server)))
        .isInstanceOfSatisfying(
            HandshakeException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
              assertThat(e.isRemote()).isFalse();
            })
        .hasMessageContaining("expected node 1, found 7");
    await().atMost(WAIT).until(() -> serverSaw.get() != null);
    assertThat(serverSaw.get().code()).isEqualTo(GoAwayCode.UNAUTHORIZED);
    assertThat(serverSaw.get().isRemote()).isTrue();
  }
}
