package dev.tether.examples;

import dev.tether.Server;
import dev.tether.TlsConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The {@code demo} command: an echo server in this JVM and an echo client in a second, real JVM,
 * talking over loopback TCP, with TLS if asked ({@code --tls}: the server presents a throwaway
 * certificate that the client pins; {@code --mtls}: the client presents one too, which the server
 * trusts). Prints what each side does, prefixed {@code [server]}, {@code [client]} or {@code
 * [demo]}.
 */
final class Demo {
  static final Set<String> SWITCHES = Set.of("tls", "mtls");

  /** How long the client JVM may take, start-up included, before the demo gives up on it. */
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  private Demo() {}

  /** Runs the demo; returns the client's exit status, or 1 if it did not finish in time. */
  static int run(Args args, PrintStream out) throws IOException, InterruptedException {
    boolean mtls = args.has("mtls");
    boolean tls = mtls || args.has("tls");
    List<String> clientFlags = new ArrayList<>();
    TlsConfig serverTls = null;
    Path keys = null;
    if (tls) {
      ThrowawayCertificate serverCertificate =
          ThrowawayCertificate.generate("tether-echo", List.of());
      TlsConfig.Builder builder = serverCertificate.presenting();
      out.println(
          "[demo]   TLS: the server presents a throwaway certificate, sha256 "
              + serverCertificate.fingerprint());
      clientFlags.addAll(List.of("--tls", "--pin", serverCertificate.fingerprint()));
      if (mtls) {
        keys = Files.createTempDirectory("tether-demo-");
        ThrowawayCertificate clientCertificate =
            ThrowawayCertificate.generate("echo-client", List.of());
        Path[] pem = clientCertificate.writePem(keys, "client");
        builder.trustCertificates(pem[1]).requireClientCertificate();
        clientFlags.addAll(List.of("--key", pem[0].toString(), "--cert", pem[1].toString()));
        out.println(
            "[demo]   mutual TLS: the client presents a throwaway certificate too, sha256 "
                + clientCertificate.fingerprint());
      }
      serverTls = builder.build();
    }
    out.println("[demo]   starting an echo server in this JVM");
    Server<Echo, Echo> server =
        EchoServer.start(
            new InetSocketAddress(EchoServer.DEFAULT_HOST, 0),
            List.of(),
            "demo",
            serverTls,
            event -> out.println("[server] " + event));
    int status;
    try {
      InetSocketAddress address = (InetSocketAddress) server.address();
      out.println(
          "[server] listening on " + EchoServer.hostPort(address) + (tls ? " (TLS only)" : ""));
      status = runClient(address, clientFlags, out);
    } finally {
      out.println("[demo]   stopping the server");
      server.close();
      out.println("[server] stopped");
      deleteQuietly(keys);
    }
    out.println(status == 0 ? "[demo]   done" : "[demo]   failed: client exit status " + status);
    return status;
  }

  private static int runClient(InetSocketAddress server, List<String> flags, PrintStream out)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                javaBinary(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "echo-client",
                "--host",
                server.getAddress().getHostAddress(),
                "--port",
                Integer.toString(server.getPort())));
    command.addAll(flags);
    out.println(
        "[demo]   starting a client JVM: echo-client --port "
            + server.getPort()
            + (flags.isEmpty() ? "" : " " + String.join(" ", flags)));
    Process client = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread pump =
        new Thread(
            () -> copyLines(client.getInputStream(), out, "[client] "), "demo-client-output");
    pump.setDaemon(true);
    pump.start();
    if (!client.waitFor(CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      client.destroyForcibly();
      out.println("[demo]   the client did not finish within " + CLIENT_TIMEOUT.toSeconds() + " s");
      return 1;
    }
    pump.join(Duration.ofSeconds(5).toMillis());
    out.println("[demo]   client JVM exited with status " + client.exitValue());
    return client.exitValue();
  }

  /** Deletes the demo's key files; they were throwaway from the start. */
  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // temporary files: the system cleans them up eventually
    }
  }

  /** Returns the java launcher running this JVM, so the client runs on the same Java. */
  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static void copyLines(InputStream in, PrintStream out, String prefix) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        out.println(prefix + line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
