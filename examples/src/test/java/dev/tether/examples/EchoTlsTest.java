package dev.tether.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.Server;
import dev.tether.TlsConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * echo-client's TLS flags against an echo server with a throwaway certificate, in this JVM: the
 * pin, a wrong pin, and mutual TLS with PEM files.
 */
class EchoTlsTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<String> events = new CopyOnWriteArrayList<>();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private Server<Echo, Echo> server(TlsConfig tls) {
    return EchoServer.start(
        new InetSocketAddress("127.0.0.1", 0), List.of(), "echo", tls, events::add);
  }

  private static String port(Server<?, ?> server) {
    return Integer.toString(((InetSocketAddress) server.address()).getPort());
  }

  @Test
  void clientPinningTheServersThrowawayCertificateEchoesOverTls() {
    ThrowawayCertificate certificate = ThrowawayCertificate.generate("tether-echo", List.of());
    try (Server<Echo, Echo> server = server(certificate.presenting().build())) {
      int status =
          run("echo-client", "--port", port(server), "--tls", "--pin", certificate.fingerprint());

      assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(out.toString(StandardCharsets.UTF_8))
          .contains("tls      TLSv1.3, server certificate CN=tether-echo, sha256 ")
          .contains(certificate.fingerprint())
          .contains("closed gracefully");
      assertThat(events).anyMatch(e -> e.contains("connected") && e.contains("TLSv1.3"));
    }
  }

  @Test
  void clientWithAnotherPinRefusesTheServer() {
    ThrowawayCertificate certificate = ThrowawayCertificate.generate("tether-echo", List.of());
    String otherPin = ThrowawayCertificate.generate("impostor", List.of()).fingerprint();
    try (Server<Echo, Echo> server = server(certificate.presenting().build())) {
      int status = run("echo-client", "--port", port(server), "--pin", otherPin);

      assertThat(status).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("TLS handshake with 127.0.0.1:" + port(server) + " failed")
          .contains("not the pinned");
    }
  }

  @Test
  void plaintextClientIsToldThatTheServerRequiresTls() {
    ThrowawayCertificate certificate = ThrowawayCertificate.generate("tether-echo", List.of());
    try (Server<Echo, Echo> server = server(certificate.presenting().build())) {
      assertThat(run("echo-client", "--port", port(server))).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("accepts only TLS connections");
    }
  }

  @Test
  void mutualTlsAdmitsTheClientWithItsPemKeyAndCertificateOnly() throws Exception {
    ThrowawayCertificate serverCertificate =
        ThrowawayCertificate.generate("tether-echo", List.of());
    ThrowawayCertificate clientCertificate =
        ThrowawayCertificate.generate("echo-client", List.of());
    Path[] pem = clientCertificate.writePem(dir, "client");
    TlsConfig tls =
        serverCertificate.presenting().trustCertificates(pem[1]).requireClientCertificate().build();
    try (Server<Echo, Echo> server = server(tls)) {
      String pin = serverCertificate.fingerprint();

      int admitted =
          run(
              "echo-client",
              "--port",
              port(server),
              "--pin",
              pin,
              "--key",
              pem[0].toString(),
              "--cert",
              pem[1].toString());
      assertThat(admitted).as(err.toString(StandardCharsets.UTF_8)).isZero();
      assertThat(events).anyMatch(e -> e.contains("certificate CN=echo-client"));

      int refused = run("echo-client", "--port", port(server), "--pin", pin);
      assertThat(refused).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("the server requires a client certificate");
    }
  }
}
